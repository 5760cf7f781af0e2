package settings

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// Guardrail configures the SCP that stops anyone else from changing the
// preferences document or going around it.
type Guardrail struct {
	// Enabled is optional, default true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// PolicyName is optional, default "ssm-runas-protect-session-preferences".
	PolicyName string `yaml:"policyName,omitempty" json:"policyName,omitempty"`
	// ExemptRoleARNs is optional: pipeline roles that may still change the
	// document, the writer and the StackSet's stack. Pin each to the
	// account it acts in (arn:aws:iam::123456789012:role/platform-pipeline).
	// A role that must act in every account may use "*" as the account
	// when its name is exact; the SCP then also stops anyone but the
	// StackSet execution role from creating, changing or assuming a role of
	// that name, so deploy it with the StackSet or before the SCP. The
	// StackSet execution role and the writer's role are always exempt.
	ExemptRoleARNs []string `yaml:"exemptRoleArns,omitempty" json:"exemptRoleArns,omitempty"`
	// ReservedUsers is optional, default DefaultReservedUsers: Run As
	// values no session may start with in any account the SCP covers, nor
	// with the permission sets ssm-runas creates. A role's linuxUser on this
	// list is left out of the deny and reported by validate.
	ReservedUsers []string `yaml:"reservedUsers,omitempty" json:"reservedUsers,omitempty"`
}

// DefaultGuardrailPolicyName is the SCP's default name.
const DefaultGuardrailPolicyName = "ssm-runas-protect-session-preferences"

// DefaultReservedUsers are accounts that exist with passwordless sudo (or
// are root) on stock images, so a Run As value naming one is a root shell:
// root; ssm-user, which the agent creates with sudo whenever Run As is off;
// and the default users of the common cloud images (Amazon Linux, RHEL and
// SUSE: ec2-user; Ubuntu: ubuntu; Debian: admin, formerly debian; CentOS,
// Fedora, Rocky, AlmaLinux, Alpine, Arch and Kali by their names; Fedora
// CoreOS and Flatcar: core; RHEL on some clouds: cloud-user; Oracle: opc;
// Bitnami images: bitnami).
var DefaultReservedUsers = []string{
	"admin", "almalinux", "alpine", "arch", "bitnami", "centos", "cloud-user", "core", "debian",
	"ec2-user", "fedora", "kali", "opc", "rocky", "root", "ssm-user", "ubuntu",
}

// neverRoleUsers may not be a role's Linux user at all: root is refused by
// Session Manager, and ssm-user carries the agent's sudo rule on every host
// where Run As was ever off.
var neverRoleUsers = []string{"root", "ssm-user"}

var (
	policyNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// exemptRoleARNRe: a pinned account, or "*" with an exact role name.
	pinnedRoleARNRe     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/*-]{1,512}$`)
	everywhereRoleARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\*:role/[\w+=,.@/-]{1,512}$`)
)

func (g *Guardrail) applyDefaults() {
	if g.Enabled == nil {
		g.Enabled = ptr(true)
	}
	if g.PolicyName == "" {
		g.PolicyName = DefaultGuardrailPolicyName
	}
	if g.ReservedUsers == nil {
		g.ReservedUsers = append([]string(nil), DefaultReservedUsers...)
	}
}

// GuardrailEnabled reports whether the SCP is deployed.
func (c *Config) GuardrailEnabled() bool { return c.Guardrail.Enabled == nil || *c.Guardrail.Enabled }

// ReservedRunAsUsers are the reserved users that are denied: the configured
// list without the roles' Linux users (a role is configured on purpose;
// validate reports the overlap).
func (c *Config) ReservedRunAsUsers() []string {
	roles := c.RoleUsers()
	var out []string
	for _, u := range c.Guardrail.ReservedUsers {
		if !slices.Contains(roles, u) {
			out = append(out, u)
		}
	}
	return out
}

// GuardrailSCPArgs are the arguments of the guardrail SCP, computed from the
// configuration in this one place for the stack, `runas plan`, the audit
// and the policy tests: policy.GuardrailSCP(c.GuardrailSCPArgs()).
func (c *Config) GuardrailSCPArgs() policy.SCPArgs {
	a := policy.SCPArgs{
		ExemptRoleARNs: append([]string(nil), c.Guardrail.ExemptRoleARNs...),
		StackSetName:   c.Organization.StackSet.Name,
		ReservedUsers:  c.ReservedRunAsUsers(),
		Regions:        append([]string(nil), c.Organization.Regions...),
	}
	if c.Broker != nil {
		// The member template deploys the broker's session role in every
		// account and region; a member admin who rewrote its trust or its
		// permissions would start sessions as any role user.
		a.ProtectedRoleNames = append(a.ProtectedRoleNames, c.Broker.SessionRoleName+"-*")
	}
	return a
}

func (g *Guardrail) validate(p field.Path) field.List {
	var errs field.List
	if !policyNameRe.MatchString(g.PolicyName) {
		errs.Add(field.Invalid(p.Child("policyName"), g.PolicyName, "must match "+policyNameRe.String()))
	}
	for i, a := range g.ExemptRoleARNs {
		ap := p.Child("exemptRoleArns").Index(i)
		switch {
		case pinnedRoleARNRe.MatchString(a), everywhereRoleARNRe.MatchString(a):
		case strings.Contains(a, "::*:"):
			errs.Add(field.Invalid(ap, a, "with * as the account the role name must be exact (no *): "+
				"a member-account admin could create a role matching the pattern; pin the account id instead"))
		default:
			errs.Add(field.Invalid(ap, a, "must be an IAM role ARN pinned to an account, e.g. arn:aws:iam::123456789012:role/platform-pipeline"))
		}
	}
	for i, u := range g.ReservedUsers {
		if err := username.Validate(u); err != nil && !errors.Is(err, username.ErrRoot) {
			errs.Add(field.Invalid(p.Child("reservedUsers").Index(i), u, err.Error()))
		}
	}
	return errs
}

// validateGuardrail checks what needs more than the section: the SCP must
// fit Organizations' size limit with everything the configuration puts in.
func (c *Config) validateGuardrail() field.List {
	errs := c.Guardrail.validate("guardrail")
	if len(errs) > 0 || !c.GuardrailEnabled() || c.Organization.StackSet.Name == "" {
		return errs
	}
	if _, err := policy.GuardrailSCP(c.GuardrailSCPArgs()); err != nil {
		errs.Add(field.Required("guardrail", fmt.Sprintf("%v", err)))
	}
	return errs
}
