package settings

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// RunAsTagKey is the session tag Session Manager reads the Run As user from,
// and so the ABAC attribute key Identity Center must emit.
const RunAsTagKey = "SSMSessionRunAs"

// IdentityCenter names the IAM Identity Center instance and its ABAC setup.
type IdentityCenter struct {
	// InstanceARN is required: arn:aws:sso:::instance/ssoins-...
	InstanceARN string `yaml:"instanceArn" json:"instanceArn"`
	// Region is required: the region Identity Center is enabled in; its
	// APIs answer only there.
	Region string `yaml:"region" json:"region"`
	// IdentityStoreID is required: d-... (where the SCIM-provisioned groups live).
	IdentityStoreID string `yaml:"identityStoreId" json:"identityStoreId"`
	// RunAsSource is optional, default ${path:enterprise.costCenter}: the
	// identity store attribute SSMSessionRunAs is read from. It must be
	// single-valued: Identity Center rejects multi-valued attributes.
	RunAsSource string `yaml:"runAsSource,omitempty" json:"runAsSource,omitempty"`
	// OtherAttributes is optional: every other ABAC attribute the
	// organization uses. The ABAC configuration is one resource; attributes
	// not listed here are removed from it.
	OtherAttributes []AccessControlAttribute `yaml:"otherAttributes,omitempty" json:"otherAttributes,omitempty"`
	// AllowedSessionDocuments is optional: session documents besides
	// SSM-SessionManagerRunShell that the permission sets let people name at
	// StartSession, with their Run As settings.
	AllowedSessionDocuments []SessionDocument `yaml:"allowedSessionDocuments,omitempty" json:"allowedSessionDocuments,omitempty"`
}

// AccessControlAttribute is one ABAC attribute.
type AccessControlAttribute struct {
	// Key is required: the session tag key.
	Key string `yaml:"key" json:"key"`
	// Source is required: ${path:...} of the identity store attribute.
	Source string `yaml:"source" json:"source"`
}

// SessionDocument is a Standard_Stream document people may name at StartSession.
type SessionDocument struct {
	// Name is required.
	Name string `yaml:"name" json:"name"`
	// RunAsEnabled is required to explain sessions with this document.
	RunAsEnabled bool `yaml:"runAsEnabled" json:"runAsEnabled"`
	// RunAsDefaultUser is the document's fallback user ("" when Run As is off).
	RunAsDefaultUser string `yaml:"runAsDefaultUser,omitempty" json:"runAsDefaultUser,omitempty"`
	// AcknowledgeRisk is optional, default false. Documents that run
	// commands, reach other hosts or sockets through the instance, or open a
	// shell with Run As off (as ssm-user, which has sudo) go around Run As;
	// validate refuses them unless this is true.
	AcknowledgeRisk bool `yaml:"acknowledgeRisk,omitempty" json:"acknowledgeRisk,omitempty"`
}

// riskyDocuments are AWS-owned session documents that go around Run As, and why.
var riskyDocuments = map[string]string{
	"AWS-StartSSHSession":                        "tunnels SSH, which logs in as whatever account the key opens, not the Run As user",
	"AWS-StartPortForwardingSessionToRemoteHost": "lets the caller reach any host the instance can reach, from the instance's network",
	"AWS-StartPortForwardingSessionToSocket":     "lets the caller reach local sockets (a container runtime's socket is root)",
	"AWS-StartInteractiveCommand":                "runs the command the caller passes on the instance",
	"AWS-StartNonInteractiveCommand":             "runs the command the caller passes on the instance",
	"AWS-PasswordReset":                          "resets the password of any local account the caller names",
}

// portDocuments forward a port of the instance itself and open no shell.
var portDocuments = []string{"AWS-StartPortForwardingSession"}

// PortForwardingDocument reports whether name forwards a port of the
// instance itself: such a session opens no shell, so Run As does not apply.
func PortForwardingDocument(name string) bool { return slices.Contains(portDocuments, name) }

// DocumentRisk says why a session document goes around Run As, or "" when
// it does not (a shell document with Run As on, or port forwarding to the
// instance itself).
func DocumentRisk(d SessionDocument) string {
	if why, ok := riskyDocuments[d.Name]; ok {
		return why
	}
	if !d.RunAsEnabled && !PortForwardingDocument(d.Name) {
		return "has Run As off: a shell with it opens as ssm-user, which has sudo"
	}
	return ""
}

// Role maps an Entra group to a shared Linux account.
type Role struct {
	// Name is required: lower-case letters, digits and '-'; names resources.
	Name string `yaml:"name" json:"name"`
	// EntraGroup is required: the Entra group's display name, as SCIM
	// provisions it into the identity store.
	EntraGroup string `yaml:"entraGroup" json:"entraGroup"`
	// LinuxUser is required: the account members land as.
	LinuxUser string `yaml:"linuxUser" json:"linuxUser"`
	// Precedence is required: 1 is the highest. A member of several role
	// groups gets the role with the highest precedence; equal precedences
	// are not allowed, so every user resolves to exactly one value.
	Precedence int `yaml:"precedence" json:"precedence"`
	// Sudo is optional: the account's sudo rule; none when unset.
	Sudo *Sudo `yaml:"sudo,omitempty" json:"sudo,omitempty"`
	// PermissionSet is required.
	PermissionSet PermissionSet `yaml:"permissionSet" json:"permissionSet"`
	// Assignments is required: account ids or OU ids where the group gets
	// the permission set. OUs resolve to their ACTIVE accounts at deploy time.
	Assignments []string `yaml:"assignments" json:"assignments"`
}

// Sudo is one sudoers rule for a role account.
type Sudo struct {
	// Commands is required: "ALL" or absolute command paths with arguments.
	Commands []string `yaml:"commands" json:"commands"`
	// RunAs is optional, default ALL: the users the commands may run as.
	RunAs string `yaml:"runAs,omitempty" json:"runAs,omitempty"`
	// NoPassword is optional, default false. Role accounts have no
	// password, so without it sudo cannot be used.
	NoPassword bool `yaml:"noPassword,omitempty" json:"noPassword,omitempty"`
	// NoExec is optional, default false: the sudoers NOEXEC tag, which stops
	// the commands from starting other programs (a pager's `!sh`).
	NoExec bool `yaml:"noExec,omitempty" json:"noExec,omitempty"`
}

// PermissionSet is an existing permission set, or one ssm-runas creates.
type PermissionSet struct {
	// ARN selects an existing permission set; its policies are not managed
	// and must deny ssm:StartSession without the SSMSessionRunAs tag.
	ARN string `yaml:"arn,omitempty" json:"arn,omitempty"`
	// Name creates a permission set with this name (when ARN is unset).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Description is optional.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// SessionDuration is optional, default PT8H (ISO 8601, 1-12 hours).
	SessionDuration string `yaml:"sessionDuration,omitempty" json:"sessionDuration,omitempty"`
	// ManagedPolicyARNs is optional: AWS managed policies to attach.
	ManagedPolicyARNs []string `yaml:"managedPolicyArns,omitempty" json:"managedPolicyArns,omitempty"`
	// InstanceTagKey and InstanceTagValue optionally limit StartSession to
	// instances carrying this tag.
	InstanceTagKey   string `yaml:"instanceTagKey,omitempty" json:"instanceTagKey,omitempty"`
	InstanceTagValue string `yaml:"instanceTagValue,omitempty" json:"instanceTagValue,omitempty"`
	// AllowRunCommands is optional, default false. Run Command, State
	// Manager, Automation, Maintenance Windows and EC2 Instance Connect run
	// code on instances as root or as any local user, around Run As; the
	// permission set denies them unless this is true.
	AllowRunCommands bool `yaml:"allowRunCommands,omitempty" json:"allowRunCommands,omitempty"`
}

func (p *PermissionSet) applyDefaults() {
	if p.Managed() && p.SessionDuration == "" {
		p.SessionDuration = DefaultSessionDuration
	}
}

// Managed reports whether ssm-runas creates and owns the permission set.
func (p PermissionSet) Managed() bool { return p.ARN == "" }

// DisplayName is the name people pick at sign-in.
func (p PermissionSet) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ARN
}

// HostAccounts configures the association that creates role accounts.
type HostAccounts struct {
	// Enabled is optional, default true for the per-role model.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// TargetTagKey / TargetTagValue are optional, default
	// ssm-runas:role-accounts / true: the instances the association runs on.
	TargetTagKey   string `yaml:"targetTagKey,omitempty" json:"targetTagKey,omitempty"`
	TargetTagValue string `yaml:"targetTagValue,omitempty" json:"targetTagValue,omitempty"`
	// Schedule is optional, default rate(30 minutes).
	Schedule string `yaml:"schedule,omitempty" json:"schedule,omitempty"`
	// Shell is optional, default /bin/bash.
	Shell string `yaml:"shell,omitempty" json:"shell,omitempty"`
}

// Identity defaults.
const (
	DefaultRunAsSource        = "${path:enterprise.costCenter}"
	DefaultSessionDuration    = "PT8H"
	DefaultHostTargetTagKey   = "ssm-runas:role-accounts"
	DefaultHostTargetTagValue = "true"
	DefaultHostSchedule       = "rate(30 minutes)"
	DefaultHostShell          = "/bin/bash"
	DefaultSudoRunAs          = "ALL"
)

func (c *Config) applyIdentityDefaults() {
	if ic := c.IdentityCenter; ic != nil && ic.RunAsSource == "" {
		ic.RunAsSource = DefaultRunAsSource
	}
	for i := range c.Roles {
		r := &c.Roles[i]
		r.PermissionSet.applyDefaults()
		if r.Sudo != nil && r.Sudo.RunAs == "" {
			r.Sudo.RunAs = DefaultSudoRunAs
		}
	}
	h := &c.HostAccounts
	if h.Enabled == nil {
		h.Enabled = ptr(c.Model == ModelPerRole)
	}
	if h.TargetTagKey == "" {
		h.TargetTagKey = DefaultHostTargetTagKey
	}
	if h.TargetTagValue == "" {
		h.TargetTagValue = DefaultHostTargetTagValue
	}
	if h.Schedule == "" {
		h.Schedule = DefaultHostSchedule
	}
	if h.Shell == "" {
		h.Shell = DefaultHostShell
	}
}

// HostAccountsEnabled reports whether the role-account association is deployed.
func (c *Config) HostAccountsEnabled() bool {
	return c.HostAccounts.Enabled != nil && *c.HostAccounts.Enabled && len(c.Roles) > 0
}

// RolesByPrecedence returns the roles, highest precedence (1) first.
func (c *Config) RolesByPrecedence() []Role {
	out := append([]Role(nil), c.Roles...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Precedence < out[j].Precedence })
	return out
}

var (
	instanceARNRe      = regexp.MustCompile(`^arn:aws[a-z-]*:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$`)
	identityStoreIDRe  = regexp.MustCompile(`^d-[0-9a-f]{10}$|^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$`)
	abacSourceRe       = regexp.MustCompile(`^\$\{path:[A-Za-z0-9._:-]+\}$`)
	tagKeyRe           = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	roleNameRe         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)
	permissionSetARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$`)
	permissionSetName  = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)
	durationRe         = regexp.MustCompile(`^PT(?:(\d{1,2})H)?(?:(\d{1,3})M)?$`)
	managedPolicyARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$`)
	sudoCommandRe      = regexp.MustCompile(`^(ALL|/[A-Za-z0-9_./-]+( ""|( [A-Za-z0-9_./-]+)+)?)$`)
	documentNameRe     = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,128}$`)
	scheduleRe         = regexp.MustCompile(`^(rate\(\d+ (minutes|hours|days)\)|cron\([^()]+\))$`)
	shellRe            = regexp.MustCompile(`^/[a-z0-9/]+$`)
)

// ValidSudoCommand reports whether cmd is ALL, or an absolute command path
// followed by plain arguments or by "" (no arguments allowed): nothing
// sudoers would read as a separator (, : = \), no wildcard (*, ?, [) and no
// newline. The host accounts script checks it again, since it runs as root on
// every host.
func ValidSudoCommand(cmd string) bool { return sudoCommandRe.MatchString(cmd) }

// ValidShell reports whether shell is an absolute path of plain characters.
func ValidShell(shell string) bool { return shellRe.MatchString(shell) }

func (c *Config) validateIdentity() field.List {
	var errs field.List
	if c.Model == ModelPerRole {
		if c.IdentityCenter == nil {
			errs.Add(field.Required("identityCenter", "is required for the per-role model"))
		}
		if len(c.Roles) == 0 {
			errs.Add(field.Required("roles", "is required for the per-role model: at least one role"))
		}
	}
	if c.Model == ModelPerUser && c.IdentityCenter == nil {
		errs.Add(field.Required("identityCenter", "is required for the per-user model: it deploys the ABAC attribute and the permission sets that carry each person's value"))
	}
	if ic := c.IdentityCenter; ic != nil {
		p := field.Path("identityCenter")
		if !instanceARNRe.MatchString(ic.InstanceARN) {
			errs.Add(field.Invalid(p.Child("instanceArn"), ic.InstanceARN, "must be an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...)"))
		}
		if !regionRe.MatchString(ic.Region) {
			errs.Add(field.Invalid(p.Child("region"), ic.Region, "must be the region Identity Center is enabled in, e.g. eu-west-1"))
		}
		if !identityStoreIDRe.MatchString(ic.IdentityStoreID) {
			errs.Add(field.Invalid(p.Child("identityStoreId"), ic.IdentityStoreID, "must be an identity store id (d-xxxxxxxxxx)"))
		}
		if !abacSourceRe.MatchString(ic.RunAsSource) {
			errs.Add(field.Invalid(p.Child("runAsSource"), ic.RunAsSource, "must be ${path:...}, e.g. ${path:enterprise.costCenter}"))
		}
		keys := map[string]bool{RunAsTagKey: true}
		for i, a := range ic.OtherAttributes {
			ap := p.Child("otherAttributes").Index(i)
			if !tagKeyRe.MatchString(a.Key) || strings.HasPrefix(strings.ToLower(a.Key), "aws:") {
				errs.Add(field.Invalid(ap.Child("key"), a.Key, "must be a session tag key (1-128 characters, not aws:)"))
			}
			if keys[a.Key] {
				errs.Add(field.Invalid(ap.Child("key"), a.Key, "is already mapped (SSMSessionRunAs is mapped from runAsSource)"))
			}
			keys[a.Key] = true
			if !abacSourceRe.MatchString(a.Source) {
				errs.Add(field.Invalid(ap.Child("source"), a.Source, "must be ${path:...}"))
			}
		}
		for i, d := range ic.AllowedSessionDocuments {
			dp := p.Child("allowedSessionDocuments").Index(i)
			if !documentNameRe.MatchString(d.Name) || d.Name == sessiondoc.DocumentName {
				errs.Add(field.Invalid(dp.Child("name"), d.Name, "must be a document name other than "+sessiondoc.DocumentName))
			}
			if d.RunAsEnabled {
				if err := username.Validate(d.RunAsDefaultUser); err != nil {
					errs.Add(field.Invalid(dp.Child("runAsDefaultUser"), d.RunAsDefaultUser, err.Error()))
				}
			}
			if why := DocumentRisk(d); why != "" && !d.AcknowledgeRisk {
				errs.Add(field.Invalid(dp.Child("name"), d.Name, "goes around Run As: it "+why+
					"; set acknowledgeRisk: true to allow it anyway"))
			}
		}
	}

	linuxUsers := map[string]int{}
	precedences := map[int]int{}
	names := map[string]int{}
	groups := map[string]int{}
	for i, r := range c.Roles {
		p := field.Path("roles").Index(i)
		if !roleNameRe.MatchString(r.Name) {
			errs.Add(field.Invalid(p.Child("name"), r.Name, "must match "+roleNameRe.String()))
		}
		dup(&errs, names, r.Name, i, p.Child("name"))
		if strings.TrimSpace(r.EntraGroup) == "" {
			errs.Add(field.Required(p.Child("entraGroup"), "is required: the Entra group's display name"))
		} else {
			// Entra and Identity Center compare display names without case.
			dup(&errs, groups, strings.ToLower(r.EntraGroup), i, p.Child("entraGroup"))
		}
		if err := username.Validate(r.LinuxUser); err != nil {
			errs.Add(field.Invalid(p.Child("linuxUser"), r.LinuxUser, err.Error()))
		} else if slices.Contains(neverRoleUsers, r.LinuxUser) {
			errs.Add(field.Invalid(p.Child("linuxUser"), r.LinuxUser, "must not be ssm-user: the agent gives it sudo on every host where Run As was ever off"))
		} else if r.LinuxUser == c.SessionPreferences.RunAsDefaultUser {
			errs.Add(field.Invalid(p.Child("linuxUser"), r.LinuxUser, "must differ from sessionPreferences.runAsDefaultUser, or untagged sessions would land in a role"))
		}
		dup(&errs, linuxUsers, r.LinuxUser, i, p.Child("linuxUser"))
		if r.Precedence < 1 {
			errs.Add(field.Invalid(p.Child("precedence"), r.Precedence, "must be 1 or more (1 is the highest)"))
		} else if j, seen := precedences[r.Precedence]; seen {
			errs.Add(field.Invalid(p.Child("precedence"), r.Precedence,
				fmt.Sprintf("is also roles[%d].precedence: a user in both groups would resolve to two values", j)))
		} else {
			precedences[r.Precedence] = i
		}
		if s := r.Sudo; s != nil {
			errs.Extend(s.Validate(p.Child("sudo")))
		}
		errs.Extend(r.PermissionSet.validate(p.Child("permissionSet")))
		errs.Extend(validateAssignments(p.Child("assignments"), r.Assignments))
	}

	h := c.HostAccounts
	hp := field.Path("hostAccounts")
	if !tagKeyRe.MatchString(h.TargetTagKey) {
		errs.Add(field.Invalid(hp.Child("targetTagKey"), h.TargetTagKey, "must be a tag key"))
	}
	if !tagKeyRe.MatchString(h.TargetTagValue) {
		errs.Add(field.Invalid(hp.Child("targetTagValue"), h.TargetTagValue, "must be a tag value"))
	}
	if !scheduleRe.MatchString(h.Schedule) {
		errs.Add(field.Invalid(hp.Child("schedule"), h.Schedule, "must be rate(N minutes|hours|days) or cron(...)"))
	}
	if !ValidShell(h.Shell) {
		errs.Add(field.Invalid(hp.Child("shell"), h.Shell, "must be an absolute path such as /bin/bash"))
	}
	return errs
}

func dup(errs *field.List, seen map[string]int, v string, i int, p field.Path) {
	if j, ok := seen[v]; ok {
		errs.Add(field.Invalid(p, v, fmt.Sprintf("is also used by roles[%d]", j)))
		return
	}
	seen[v] = i
}

func (ps PermissionSet) validate(p field.Path) field.List {
	var errs field.List
	switch {
	case ps.ARN != "" && ps.Name != "":
		errs.Add(field.Required(p, "set either arn (an existing permission set) or name (one to create), not both"))
	case ps.ARN != "":
		if !permissionSetARNRe.MatchString(ps.ARN) {
			errs.Add(field.Invalid(p.Child("arn"), ps.ARN, "must be a permission set ARN"))
		}
	case ps.Name == "":
		errs.Add(field.Required(p, "set arn (an existing permission set) or name (one to create)"))
	default:
		if !permissionSetName.MatchString(ps.Name) {
			errs.Add(field.Invalid(p.Child("name"), ps.Name, "must match "+permissionSetName.String()))
		}
		if m := durationRe.FindStringSubmatch(ps.SessionDuration); m == nil || m[0] == "PT" || !durationInRange(m[1], m[2]) {
			errs.Add(field.Invalid(p.Child("sessionDuration"), ps.SessionDuration, "must be an ISO 8601 duration from PT1H to PT12H"))
		}
		for k, a := range ps.ManagedPolicyARNs {
			if !managedPolicyARNRe.MatchString(a) {
				errs.Add(field.Invalid(p.Child("managedPolicyArns").Index(k), a, "must be an IAM policy ARN"))
			}
		}
		if (ps.InstanceTagKey == "") != (ps.InstanceTagValue == "") {
			errs.Add(field.Required(p.Child("instanceTagKey"), "instanceTagKey and instanceTagValue go together"))
		}
	}
	return errs
}

// Identity Center permission set session durations.
const (
	minSessionMinutes = 60
	maxSessionMinutes = 12 * 60
)

func durationInRange(h, m string) bool {
	var hours, mins int
	fmt.Sscan(h, &hours)
	fmt.Sscan(m, &mins)
	total := hours*60 + mins
	return total >= minSessionMinutes && total <= maxSessionMinutes
}

// validateAssignments checks where a permission set is assigned: at least
// one account id or OU id. Roles and per-user permission sets share it.
func validateAssignments(p field.Path, targets []string) field.List {
	var errs field.List
	if len(targets) == 0 {
		errs.Add(field.Required(p, "is required: account ids or OU ids"))
	}
	for k, a := range targets {
		if !accountIDRe.MatchString(a) && !ouIDRe.MatchString(a) {
			errs.Add(field.Invalid(p.Index(k), a, "must be a 12-digit account id or an OU id (ou-xxxx-xxxxxxxx)"))
		}
	}
	return errs
}
