package settings

import (
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// Model selects the stack program and how people's Linux users are chosen.
type Model string

// Deployment models; see DESIGN.md.
const (
	ModelPerRole          Model = "per-role"
	ModelPerUser          Model = "per-user"
	ModelDomainController Model = "domain-controller"
)

// Models lists every model in the order the docs present them.
var Models = []Model{ModelPerRole, ModelPerUser, ModelDomainController}

// Config is the whole configuration. Each section lives in a file of its
// own with its types, defaults and validation; this file only lists them.
type Config struct {
	// Model is required: per-role, per-user or domain-controller.
	Model Model `yaml:"model" json:"model"`
	// Organization is required: where the preferences go.
	Organization Organization `yaml:"organization" json:"organization"`
	// SessionPreferences is required: what every account's
	// SSM-SessionManagerRunShell must hold.
	SessionPreferences sessiondoc.Preferences `yaml:"sessionPreferences" json:"sessionPreferences"`
	// Guardrail is optional: the SCP that locks the preferences document.
	Guardrail Guardrail `yaml:"guardrail" json:"guardrail"`
	// Writer is optional: how the member-account Lambda is packaged.
	Writer Writer `yaml:"writer" json:"writer"`
	// IdentityCenter is required for the per-role model: the instance whose
	// ABAC configuration turns the directory attribute into SSMSessionRunAs.
	IdentityCenter *IdentityCenter `yaml:"identityCenter,omitempty" json:"identityCenter,omitempty"`
	// Roles is required for the per-role model: who lands as which shared
	// Linux account.
	Roles []Role `yaml:"roles,omitempty" json:"roles,omitempty"`
	// HostAccounts is optional: the association that creates the role
	// accounts and their sudo rules on the hosts.
	HostAccounts HostAccounts `yaml:"hostAccounts" json:"hostAccounts"`
	// Entra is optional: the Entra ID application, SCIM provisioning and
	// the role attribute sync. Without it the stack leaves Entra alone.
	Entra *Entra `yaml:"entra,omitempty" json:"entra,omitempty"`
	// PerUser is required for the per-user and domain-controller models:
	// where each person's own Linux name comes from and how hosts join the
	// directory (per_user.go).
	PerUser *PerUser `yaml:"perUser,omitempty" json:"perUser,omitempty"`
	// DomainController is required for the domain-controller model: the
	// self-contained directory the stack builds (domain_controller.go).
	DomainController *DomainController `yaml:"domainController,omitempty" json:"domainController,omitempty"`
	// Broker is optional: per-permission-set Run As through the session
	// broker (broker.go).
	Broker *Broker `yaml:"broker,omitempty" json:"broker,omitempty"`
	// Adopt is optional: resources that already exist and that the stack
	// takes over (imports) instead of creating (adopt.go).
	Adopt *Adopt `yaml:"adopt,omitempty" json:"adopt,omitempty"`
	// NewRegions is optional: regions launched after this release, which
	// organization.regions may then name although the built-in list of the
	// partition's regions lacks them (regions.go).
	NewRegions []string `yaml:"newRegions,omitempty" json:"newRegions,omitempty"`
}

// applyDefaults fills every optional field that has a default. Each section
// sets its own defaults in its own file; this is the one place they are called.
func (c *Config) applyDefaults() {
	c.Organization.applyDefaults()
	c.applyIdentityDefaults()
	c.applyEntraDefaults()
	c.Guardrail.applyDefaults()
	c.applyPerUserDefaults()
	c.applyDomainControllerDefaults()
	c.applyBrokerDefaults()
	c.applyAdoptDefaults()
}

func ptr[T any](v T) *T { return &v }
