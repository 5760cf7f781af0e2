package settings

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// Broker is the `broker` section: per-permission-set Run As through the
// session broker. Identity Center's attributes are per person, so a person
// lands as the same user whatever permission set they pick; with the broker,
// the permission set picks the Linux user. People call the broker (`runas
// connect`), which checks who signed the request, assumes the session role
// in their account with SSMSessionRunAs set to their permission set's user
// and SourceIdentity set to their name, and starts the session.
type Broker struct {
	// PermissionSets is required: for each permission set the broker
	// serves, the Linux user its people land as. People with other
	// permission sets are refused.
	PermissionSets []BrokerPermissionSet `yaml:"permissionSets" json:"permissionSets"`
	// AccountID is optional, default organization.managementAccountId: the
	// account the broker function runs in. It must be the management
	// account: the guardrail SCP denies the SSMSessionRunAs session tag to
	// every IAM principal of the member accounts, the broker's role
	// included.
	AccountID string `yaml:"accountId,omitempty" json:"accountId,omitempty"`
	// Region is optional, default organization.homeRegion: where the
	// broker function and its URL live.
	Region string `yaml:"region,omitempty" json:"region,omitempty"`
	// FunctionName is optional, default ssm-runas-session-broker: the
	// function's name, also the name of its execution role.
	FunctionName string `yaml:"functionName,omitempty" json:"functionName,omitempty"`
	// SessionRoleName is optional, default ssm-runas-session: the base name
	// of the role in every member account and region the broker assumes to
	// start sessions (<sessionRoleName>-<region>; IAM names are global and
	// the member template is deployed once per region).
	SessionRoleName string `yaml:"sessionRoleName,omitempty" json:"sessionRoleName,omitempty"`
	// Documents is optional: session documents besides
	// SSM-SessionManagerRunShell that people may ask the broker for. Each
	// must be listed in identityCenter.allowedSessionDocuments, whose rules
	// (acknowledgeRisk) apply.
	Documents []string `yaml:"documents,omitempty" json:"documents,omitempty"`
	// Accounts is optional: accounts the broker serves when the request
	// carries no principal organization id (API Gateway REST APIs). With a
	// function URL the organization id is checked instead.
	Accounts []string `yaml:"accounts,omitempty" json:"accounts,omitempty"`
	// ZipPath is optional: a prebuilt zip of cmd/ssm-runas-broker (one
	// file, bootstrap, built for linux/arm64). By default the program
	// builds it reproducibly from source. A relative path is relative to
	// the configuration file (CLI) or to the Pulumi project root (stack):
	// see ZipPathFrom.
	ZipPath string `yaml:"zipPath,omitempty" json:"zipPath,omitempty"`
}

// ZipPathFrom returns ZipPath resolved against dir (absolute paths stay as
// they are), or "" when ZipPath is unset.
func (b Broker) ZipPathFrom(dir string) string {
	if b.ZipPath == "" || filepath.IsAbs(b.ZipPath) {
		return b.ZipPath
	}
	return filepath.Join(dir, b.ZipPath)
}

// BrokerPermissionSet maps a permission set to a Linux user.
type BrokerPermissionSet struct {
	// Name is required: the permission set's name, as it appears in its
	// roles' names (AWSReservedSSO_<Name>_<suffix>).
	Name string `yaml:"name" json:"name"`
	// LinuxUser is required: one of the roles' linuxUser, so the hosts
	// have the account.
	LinuxUser string `yaml:"linuxUser" json:"linuxUser"`
}

// Broker defaults.
const (
	DefaultBrokerFunctionName    = "ssm-runas-session-broker"
	DefaultBrokerSessionRoleName = "ssm-runas-session"
)

var (
	// lambdaNameRe: Lambda function names.
	// https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
	lambdaNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	// iamRoleNameRe: IAM role names.
	// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
	iamRoleNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// maxSessionRoleBaseName leaves room for "-<region>" in the 64 characters
// of an IAM role name.
const maxSessionRoleBaseName = 64 - len("-ap-southeast-1") - 4

func (c *Config) applyBrokerDefaults() {
	b := c.Broker
	if b == nil {
		return
	}
	if b.AccountID == "" {
		b.AccountID = c.Organization.ManagementAccountID
	}
	if b.Region == "" {
		b.Region = c.Organization.HomeRegion
	}
	if b.FunctionName == "" {
		b.FunctionName = DefaultBrokerFunctionName
	}
	if b.SessionRoleName == "" {
		b.SessionRoleName = DefaultBrokerSessionRoleName
	}
}

func (c *Config) validateBroker() field.List {
	b := c.Broker
	if b == nil {
		return nil
	}
	var errs field.List
	root := field.Path("broker")
	if c.Model != ModelPerRole {
		errs.Add(field.Required(root, "is only read by the per-role model: the broker lands people on the role accounts the hosts carry"))
		return errs
	}
	if len(b.PermissionSets) == 0 {
		errs.Add(field.Required(root.Child("permissionSets"), "is required: at least one permission set and its Linux user"))
	}
	roleUsers := c.RoleUsers()
	reserved := c.ReservedRunAsUsers()
	seen := map[string]int{}
	for i, ps := range b.PermissionSets {
		p := root.Child("permissionSets").Index(i)
		if !permissionSetName.MatchString(ps.Name) {
			errs.Add(field.Invalid(p.Child("name"), ps.Name, "must match "+permissionSetName.String()))
		} else if j, ok := seen[ps.Name]; ok {
			errs.Add(field.Invalid(p.Child("name"), ps.Name, fmt.Sprintf("is also broker.permissionSets[%d]: one permission set, one Linux user", j)))
		} else {
			seen[ps.Name] = i
		}
		switch err := username.Validate(ps.LinuxUser); {
		case err != nil:
			errs.Add(field.Invalid(p.Child("linuxUser"), ps.LinuxUser, err.Error()))
		case slices.Contains(reserved, ps.LinuxUser) || slices.Contains(neverRoleUsers, ps.LinuxUser):
			errs.Add(field.Invalid(p.Child("linuxUser"), ps.LinuxUser, "is a reserved or stock account (guardrail.reservedUsers): sessions as it are denied"))
		case !slices.Contains(roleUsers, ps.LinuxUser):
			errs.Add(field.Invalid(p.Child("linuxUser"), ps.LinuxUser,
				fmt.Sprintf("must be one of the roles' linuxUser (%s): the hosts carry only those accounts", strings.Join(roleUsers, ", "))))
		}
	}
	if !accountIDRe.MatchString(b.AccountID) {
		errs.Add(field.Invalid(root.Child("accountId"), b.AccountID, "must be a 12-digit account id"))
	} else if b.AccountID != c.Organization.ManagementAccountID {
		errs.Add(field.Invalid(root.Child("accountId"), b.AccountID,
			"must be the management account: the guardrail SCP denies the SSMSessionRunAs session tag to IAM principals of member accounts, the broker's role included"))
	}
	if !regionRe.MatchString(b.Region) {
		errs.Add(field.Invalid(root.Child("region"), b.Region, "must be a region, e.g. eu-west-1 (default organization.homeRegion)"))
	}
	if !lambdaNameRe.MatchString(b.FunctionName) {
		errs.Add(field.Invalid(root.Child("functionName"), b.FunctionName, "must be a Lambda function name: 1-64 of letters, digits, - and _"))
	}
	if !iamRoleNameRe.MatchString(b.SessionRoleName) || strings.HasPrefix(b.SessionRoleName, "AWSReservedSSO_") || len(b.SessionRoleName) > maxSessionRoleBaseName {
		errs.Add(field.Invalid(root.Child("sessionRoleName"), b.SessionRoleName,
			fmt.Sprintf("must be an IAM role name of at most %d characters (letters, digits, +=,.@_-), not AWSReservedSSO_*: each region's role is <name>-<region>", maxSessionRoleBaseName)))
	}
	allowed := c.SessionDocumentNames()
	for i, d := range b.Documents {
		if d == sessiondoc.DocumentName {
			errs.Add(field.Invalid(root.Child("documents").Index(i), d, "is always allowed; list only other documents"))
		} else if !slices.Contains(allowed, d) {
			errs.Add(field.Invalid(root.Child("documents").Index(i), d, "must be listed in identityCenter.allowedSessionDocuments"))
		}
	}
	for i, a := range b.Accounts {
		if !accountIDRe.MatchString(a) {
			errs.Add(field.Invalid(root.Child("accounts").Index(i), a, "must be a 12-digit account id"))
		}
	}
	// The function gets its rules in its environment, which Lambda limits
	// (rules.MaxEnvironmentBytes); the permission sets take most of it.
	if _, err := c.BrokerRules().Environment(); err != nil {
		errs.Add(&field.Error{Path: root.Child("permissionSets"), Rule: err.Error()})
	}
	return errs
}

// BrokerServes reports whether people with the named permission set go
// through the broker; their permission set then carries
// brokerpolicy.CallerPolicy instead of the session policy.
func (c *Config) BrokerServes(permissionSet string) bool {
	if c.Broker == nil {
		return false
	}
	return slices.ContainsFunc(c.Broker.PermissionSets, func(p BrokerPermissionSet) bool { return p.Name == permissionSet })
}

// BrokerRules are the broker function's rules, computed here for the
// stack (which hands them to the function as JSON), explain and the tests.
func (c *Config) BrokerRules() rules.Rules {
	b := c.Broker
	if b == nil {
		return rules.Rules{}
	}
	r := rules.Rules{
		OrganizationID:  c.Organization.ID,
		Accounts:        slices.Clone(b.Accounts),
		PermissionSets:  map[string]string{},
		SessionRoleName: b.SessionRoleName,
		Documents:       append([]string{sessiondoc.DocumentName}, b.Documents...),
		Regions:         slices.Clone(c.Organization.Regions),
		Partition:       c.Partition(),
	}
	for _, ps := range b.PermissionSets {
		r.PermissionSets[ps.Name] = ps.LinuxUser
	}
	return r
}

// BrokerLinuxUsers are the Linux users the broker may tag sessions with, sorted.
func (c *Config) BrokerLinuxUsers() []string {
	var out []string
	if c.Broker != nil {
		for _, ps := range c.Broker.PermissionSets {
			out = append(out, ps.LinuxUser)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// BrokerFunctionARN is the broker function's ARN.
func (c *Config) BrokerFunctionARN() string {
	b := c.Broker
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", c.Partition(), b.Region, b.AccountID, b.FunctionName)
}

// BrokerRoleARN is the broker function's execution role, named after it.
func (c *Config) BrokerRoleARN() string {
	b := c.Broker
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", c.Partition(), b.AccountID, b.FunctionName)
}

// BrokerSessionRoleArgs are the arguments of the session role's policies:
// brokerpolicy.SessionRoleTrustPolicy and SessionRolePolicy.
func (c *Config) BrokerSessionRoleArgs() brokerpolicy.SessionRoleArgs {
	a := brokerpolicy.SessionRoleArgs{
		BrokerRoleARN: c.BrokerRoleARN(),
		LinuxUsers:    c.BrokerLinuxUsers(),
		Session: policy.PermissionSetPolicyArgs{
			AllowedDocuments: slices.Clone(c.Broker.Documents),
			ReservedUsers:    c.ReservedRunAsUsers(),
			Regions:          slices.Clone(c.Organization.Regions),
		},
	}
	if k := c.SessionPreferences.KMSKeyID; k != nil {
		a.Session.KMSKeyID = *k
	}
	return a
}

// BrokerCallerArgs are the arguments of the permission-set policy of
// people the broker serves (brokerpolicy.CallerPolicy). allowCommands is
// the role's permissionSet.allowRunCommands; the KMS key is
// sessionPreferences.kmsKeyId, whose data keys the people's own
// session-manager-plugin generates.
func (c *Config) BrokerCallerArgs(allowCommands bool) brokerpolicy.CallerArgs {
	a := brokerpolicy.CallerArgs{BrokerFunctionARN: c.BrokerFunctionARN(), AllowCommands: allowCommands}
	if k := c.SessionPreferences.KMSKeyID; k != nil {
		a.KMSKeyID = *k
	}
	return a
}

// BrokerRoleArgs are the arguments of the broker's role policy and its
// function URL policy.
func (c *Config) BrokerRoleArgs() brokerpolicy.BrokerRoleArgs {
	return brokerpolicy.BrokerRoleArgs{OrganizationID: c.Organization.ID, SessionRoleName: c.Broker.SessionRoleName, FunctionARN: c.BrokerFunctionARN()}
}

// BrokerOutcome is what the broker would do for one person with one
// permission set.
type BrokerOutcome struct {
	PermissionSet string
	// LinuxUser is the user the session opens as; empty when refused.
	LinuxUser string
	// Refusal says why the broker would refuse; empty when allowed.
	Refusal string
}

// ExplainBroker applies the broker's own rule (rules.Rules.Decide) to
// person signed in to account with each permission set, the configured
// ones first and then others, for `runas explain`.
func (c *Config) ExplainBroker(person, account string, others ...string) []BrokerOutcome {
	if c.Broker == nil {
		return nil
	}
	r := c.BrokerRules()
	names := make([]string, 0, len(c.Broker.PermissionSets)+len(others))
	for _, ps := range c.Broker.PermissionSets {
		names = append(names, ps.Name)
	}
	for _, o := range others {
		if !slices.Contains(names, o) {
			names = append(names, o)
		}
	}
	region := ""
	if len(c.Organization.Regions) > 0 {
		region = c.Organization.Regions[0]
	}
	var out []BrokerOutcome
	for _, ps := range names {
		caller := rules.Caller{
			ARN:            fmt.Sprintf("arn:%s:sts::%s:assumed-role/AWSReservedSSO_%s_0000000000000000/%s", c.Partition(), account, ps, person),
			AccountID:      account,
			PrincipalOrgID: c.Organization.ID,
		}
		d := r.Decide(caller, rules.Request{Target: "i-00000000000000000", Region: region})
		out = append(out, BrokerOutcome{PermissionSet: ps, LinuxUser: d.LinuxUser, Refusal: d.Reason})
	}
	return out
}
