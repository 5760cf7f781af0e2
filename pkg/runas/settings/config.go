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

// Config is the whole configuration. New sections (identity center, Entra,
// roles) are added as fields here and validated in validate.go.
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
}

// Organization names the AWS Organization and the scope of the rollout.
type Organization struct {
	// ID is required: the organization id (o-...), used to let every member
	// account read the writer's code from the artifact buckets.
	ID string `yaml:"id" json:"id"`
	// ManagementAccountID is required: the 12-digit management account. The
	// StackSet never deploys there, so it is configured directly.
	ManagementAccountID string `yaml:"managementAccountId" json:"managementAccountId"`
	// Targets is required: the root id (r-...) or OU ids (ou-...) the
	// StackSet deploys to and the SCP is attached to.
	Targets []string `yaml:"targets" json:"targets"`
	// Regions is required: every region whose preferences are managed.
	// Session Manager preferences are per region.
	Regions []string `yaml:"regions" json:"regions"`
	// HomeRegion is optional, default the first of Regions: where the
	// StackSet itself lives (and where the audit looks for it).
	HomeRegion string `yaml:"homeRegion,omitempty" json:"homeRegion,omitempty"`
	// ArtifactBucketPrefix is optional, default
	// "ssm-runas-artifacts-<managementAccountId>". One bucket per region is
	// named "<prefix>-<region>".
	ArtifactBucketPrefix string `yaml:"artifactBucketPrefix,omitempty" json:"artifactBucketPrefix,omitempty"`
	// StackSet is optional; every field has a default.
	StackSet StackSet `yaml:"stackSet" json:"stackSet"`
	// ManagementAccount is optional; the management account is configured by
	// default.
	ManagementAccount ManagementAccount `yaml:"managementAccount" json:"managementAccount"`
}

// StackSet configures the service-managed StackSet.
type StackSet struct {
	// Name is optional, default "ssm-runas-session-preferences".
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// CallAs is optional, default SELF (run from the management account);
	// DELEGATED_ADMIN when run from a delegated administrator account.
	CallAs string `yaml:"callAs,omitempty" json:"callAs,omitempty"`
	// RetainStacksOnAccountRemoval is optional, default false: an account
	// that leaves the targets gets its original preferences back.
	RetainStacksOnAccountRemoval *bool `yaml:"retainStacksOnAccountRemoval,omitempty" json:"retainStacksOnAccountRemoval,omitempty"`
	// OperationPreferences is optional; defaults favour a slow, stoppable rollout.
	OperationPreferences OperationPreferences `yaml:"operationPreferences" json:"operationPreferences"`
}

// OperationPreferences apply per region to StackSet operations. They do not
// apply to automatic deployments into newly added accounts.
type OperationPreferences struct {
	// MaxConcurrentPercentage is optional, default 25 (1-100).
	MaxConcurrentPercentage *int `yaml:"maxConcurrentPercentage,omitempty" json:"maxConcurrentPercentage,omitempty"`
	// FailureTolerancePercentage is optional, default 10 (0-100).
	FailureTolerancePercentage *int `yaml:"failureTolerancePercentage,omitempty" json:"failureTolerancePercentage,omitempty"`
	// RegionConcurrencyType is optional, default SEQUENTIAL (or PARALLEL).
	RegionConcurrencyType string `yaml:"regionConcurrencyType,omitempty" json:"regionConcurrencyType,omitempty"`
	// ConcurrencyMode is optional, default SOFT_FAILURE_TOLERANCE (or
	// STRICT_FAILURE_TOLERANCE).
	ConcurrencyMode string `yaml:"concurrencyMode,omitempty" json:"concurrencyMode,omitempty"`
}

// ManagementAccount controls the direct configuration of the management account.
type ManagementAccount struct {
	// Configure is optional, default true: deploy the same template as a
	// plain stack in each region of the management account.
	Configure *bool `yaml:"configure,omitempty" json:"configure,omitempty"`
	// AssumeRoleARN is optional: a role in the management account to deploy
	// with. Required when stackSet.callAs is DELEGATED_ADMIN, because the
	// program then runs in another account.
	AssumeRoleARN string `yaml:"assumeRoleArn,omitempty" json:"assumeRoleArn,omitempty"`
}

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

// Writer configures the member-account Lambda's package.
type Writer struct {
	// ZipPath is optional: a prebuilt zip of cmd/ssm-prefs-writer. By default
	// the program builds it reproducibly from source.
	ZipPath string `yaml:"zipPath,omitempty" json:"zipPath,omitempty"`
}

// Defaults.
const (
	DefaultStackSetName               = "ssm-runas-session-preferences"
	DefaultCallAs                     = "SELF"
	DefaultMaxConcurrentPercentage    = 25
	DefaultFailureTolerancePercentage = 10
	DefaultRegionConcurrencyType      = "SEQUENTIAL"
	DefaultConcurrencyMode            = "SOFT_FAILURE_TOLERANCE"
	DefaultGuardrailPolicyName        = "ssm-runas-protect-session-preferences"
	artifactBucketPrefixBase          = "ssm-runas-artifacts-"
)

// applyDefaults fills every optional field that has a default. It is the one
// place defaults are set.
func (c *Config) applyDefaults() {
	o := &c.Organization
	if o.HomeRegion == "" && len(o.Regions) > 0 {
		o.HomeRegion = o.Regions[0]
	}
	if o.ArtifactBucketPrefix == "" && o.ManagementAccountID != "" {
		o.ArtifactBucketPrefix = artifactBucketPrefixBase + o.ManagementAccountID
	}
	s := &o.StackSet
	if s.Name == "" {
		s.Name = DefaultStackSetName
	}
	if s.CallAs == "" {
		s.CallAs = DefaultCallAs
	}
	if s.RetainStacksOnAccountRemoval == nil {
		s.RetainStacksOnAccountRemoval = ptr(false)
	}
	op := &s.OperationPreferences
	if op.MaxConcurrentPercentage == nil {
		op.MaxConcurrentPercentage = ptr(DefaultMaxConcurrentPercentage)
	}
	if op.FailureTolerancePercentage == nil {
		op.FailureTolerancePercentage = ptr(DefaultFailureTolerancePercentage)
	}
	if op.RegionConcurrencyType == "" {
		op.RegionConcurrencyType = DefaultRegionConcurrencyType
	}
	if op.ConcurrencyMode == "" {
		op.ConcurrencyMode = DefaultConcurrencyMode
	}
	if o.ManagementAccount.Configure == nil {
		o.ManagementAccount.Configure = ptr(true)
	}
	c.applyIdentityDefaults()
	c.applyEntraDefaults()
	g := &c.Guardrail
	if g.Enabled == nil {
		g.Enabled = ptr(true)
	}
	if g.PolicyName == "" {
		g.PolicyName = DefaultGuardrailPolicyName
	}
}

func ptr[T any](v T) *T { return &v }

// ArtifactBucket is the name of the writer's artifact bucket in region.
func (o *Organization) ArtifactBucket(region string) string {
	return o.ArtifactBucketPrefix + "-" + region
}

// GuardrailEnabled reports whether the SCP is deployed.
func (c *Config) GuardrailEnabled() bool { return c.Guardrail.Enabled == nil || *c.Guardrail.Enabled }

// ConfigureManagementAccount reports whether the management account is
// configured directly.
func (c *Config) ConfigureManagementAccount() bool {
	return c.Organization.ManagementAccount.Configure == nil || *c.Organization.ManagementAccount.Configure
}
