package settings

import (
	"regexp"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

// Guardrail configures the SCP that stops anyone else from changing the
// preferences document.
type Guardrail struct {
	// Enabled is optional, default true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// PolicyName is optional, default "ssm-runas-protect-session-preferences".
	PolicyName string `yaml:"policyName,omitempty" json:"policyName,omitempty"`
	// ExemptRoleARNs is optional: pipeline roles that may still change the
	// document, as IAM role ARNs; `*` may stand for the account id or within
	// the role name. The StackSet execution role and the writer's role are
	// always exempt.
	ExemptRoleARNs []string `yaml:"exemptRoleArns,omitempty" json:"exemptRoleArns,omitempty"`
}

// DefaultGuardrailPolicyName is the SCP's default name.
const DefaultGuardrailPolicyName = "ssm-runas-protect-session-preferences"

var policyNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)

func (g *Guardrail) applyDefaults() {
	if g.Enabled == nil {
		g.Enabled = ptr(true)
	}
	if g.PolicyName == "" {
		g.PolicyName = DefaultGuardrailPolicyName
	}
}

// GuardrailEnabled reports whether the SCP is deployed.
func (c *Config) GuardrailEnabled() bool { return c.Guardrail.Enabled == nil || *c.Guardrail.Enabled }

func (g *Guardrail) validate(p field.Path) field.List {
	var errs field.List
	if !policyNameRe.MatchString(g.PolicyName) {
		errs.Add(field.Invalid(p.Child("policyName"), g.PolicyName, "must match "+policyNameRe.String()))
	}
	for i, a := range g.ExemptRoleARNs {
		if !roleARNRe.MatchString(a) {
			errs.Add(field.Invalid(p.Child("exemptRoleArns").Index(i), a,
				"must be an IAM role ARN, e.g. arn:aws:iam::*:role/platform-pipeline"))
		}
	}
	if len(errs) == 0 {
		if _, err := policy.SessionPreferencesSCP(g.ExemptRoleARNs); err != nil {
			errs.Add(field.Required(p.Child("exemptRoleArns"), err.Error()))
		}
	}
	return errs
}
