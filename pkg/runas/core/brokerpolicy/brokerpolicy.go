package brokerpolicy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

// Condition keys the broker's policies use.
const (
	RunAsRequestTag       = "aws:RequestTag/" + policy.RunAsTagKey
	TagKeysKey            = "aws:TagKeys"
	SourceIdentityKey     = "sts:SourceIdentity"
	PrincipalSourceIDKey  = "aws:SourceIdentity"
	ResourceOrgIDKey      = "aws:ResourceOrgID"
	PrincipalOrgIDKey     = "aws:PrincipalOrgID"
	FunctionURLAuthType   = "lambda:FunctionUrlAuthType"
	InvokedViaFunctionURL = "lambda:InvokedViaFunctionUrl"
)

// Statement ids, named by explain and the tests.
const (
	SidBrokerAssumesSessionRole           = "BrokerAssumesSessionRole"
	SidBrokerTagsRunAsUser                = "BrokerTagsRunAsUser"
	SidBrokerSetsSourceIdentity           = "BrokerSetsSourceIdentity"
	SidDenyStartSessionWithoutSourceIdent = "DenyStartSessionWithoutSourceIdentity"
	SidInvokeSessionBroker                = "InvokeSessionBroker"
	SidInvokeSessionBrokerFunction        = "InvokeSessionBrokerThroughItsURL"
	SidDenyDirectStartSession             = "DenyDirectStartSession"
	SidAssumeSessionRoles                 = "AssumeSessionRolesInTheOrganization"
	SidOrganizationInvokesURL             = "OrganizationInvokesURL"
	SidOrganizationInvokesThroughURL      = "OrganizationInvokesThroughURL"
)

// SessionRoleArgs shape the session role's policies.
type SessionRoleArgs struct {
	// BrokerRoleARN is required: the broker function's execution role, the
	// only principal the session role trusts.
	BrokerRoleARN string
	// LinuxUsers are required: every Linux user a permission set maps to,
	// the only SSMSessionRunAs values the role is assumed with.
	LinuxUsers []string
	// Session are the arguments of the role's session permissions
	// (documents, regions, reserved users, KMS key); RoleUsers is set from
	// LinuxUsers.
	Session policy.PermissionSetPolicyArgs
}

func (a SessionRoleArgs) check() error {
	if a.BrokerRoleARN == "" {
		return errors.New("building the session role's policies: the broker's role ARN is required")
	}
	if len(a.LinuxUsers) == 0 {
		return errors.New("building the session role's policies: at least one Linux user is required")
	}
	return nil
}

// SessionRoleTrustPolicy lets only the broker's role assume the session
// role, and only with the SSMSessionRunAs tag set to one of the Linux
// users (and no other tag) and a SourceIdentity. A request missing either
// matches no Allow: IAM evaluates sts:AssumeRole, sts:TagSession and
// sts:SetSourceIdentity, and the role is assumed only when each is allowed.
func SessionRoleTrustPolicy(a SessionRoleArgs) (policy.Document, error) {
	if err := a.check(); err != nil {
		return policy.Document{}, err
	}
	broker := &policy.Principal{AWS: policy.Strings{a.BrokerRoleARN}}
	users := sorted(a.LinuxUsers)
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{
			Sid:       SidBrokerAssumesSessionRole,
			Effect:    policy.Allow,
			Principal: broker,
			Action:    policy.Strings{"sts:AssumeRole"},
			Condition: policy.Condition{
				"StringEquals": {RunAsRequestTag: users},
				"Null":         {SourceIdentityKey: {"false"}},
			},
		},
		{
			Sid:       SidBrokerTagsRunAsUser,
			Effect:    policy.Allow,
			Principal: broker,
			Action:    policy.Strings{"sts:TagSession"},
			Condition: policy.Condition{
				"StringEquals":              {RunAsRequestTag: users},
				"ForAllValues:StringEquals": {TagKeysKey: {policy.RunAsTagKey}},
			},
		},
		{
			Sid:       SidBrokerSetsSourceIdentity,
			Effect:    policy.Allow,
			Principal: broker,
			Action:    policy.Strings{"sts:SetSourceIdentity"},
			Condition: policy.Condition{"Null": {SourceIdentityKey: {"false"}}},
		},
	}}, nil
}

// SessionRolePolicy is the session role's permissions: the permission-set
// session policy (policy.PermissionSetSessionPolicy) for the Linux users,
// which allows sessions only with the allowed documents and only with an
// SSMSessionRunAs value among them, plus a deny of sessions without a
// SourceIdentity, so every session the role starts names its person.
func SessionRolePolicy(a SessionRoleArgs) (policy.Document, error) {
	if err := a.check(); err != nil {
		return policy.Document{}, err
	}
	args := a.Session
	args.RoleUsers = sorted(a.LinuxUsers)
	d := policy.PermissionSetSessionPolicy(args)
	d.Statement = append(d.Statement, policy.Statement{
		Sid:       SidDenyStartSessionWithoutSourceIdent,
		Effect:    policy.Deny,
		Action:    policy.Strings{"ssm:StartSession"},
		Resource:  policy.Values{"*"},
		Condition: policy.Condition{"Null": {PrincipalSourceIDKey: {"true"}}},
	})
	return d, nil
}

// CallerArgs shape the people's permission-set policy in broker mode.
type CallerArgs struct {
	// BrokerFunctionARN is required: the broker function.
	BrokerFunctionARN string
	// AllowCommands leaves out the deny of policy.CommandActions.
	AllowCommands bool
	// KMSKeyID is optional: the key that encrypts session data
	// (sessionPreferences.kmsKeyId), as policy.PermissionSetPolicyArgs
	// takes it. With it the people may generate data keys with it.
	KMSKeyID string
}

// CallerPolicy is the permission-set policy of the people the broker
// serves: they may call the broker through its function URL (both
// permissions a function URL needs, the direct invoke only through the
// URL, so nobody hands the function an event of their own making), and may
// not start sessions themselves, whatever other policies of the permission
// set allow (AdministratorAccess, AmazonSSMFullAccess).
//
// They keep two statements of the session policy
// (policy.PermissionSetSessionPolicy), taken from it rather than written
// again: the Session Manager console's read calls, to list the instances
// they may ask the broker for; and, with a KMS key, kms:GenerateDataKey on
// it, because session-manager-plugin asks KMS for each encrypted session's
// data key with the person's own credentials, not the broker's.
//
// https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-restrict-access-quickstart.html
func CallerPolicy(a CallerArgs) (policy.Document, error) {
	if a.BrokerFunctionARN == "" {
		return policy.Document{}, errors.New("building the broker callers' policy: the broker function's ARN is required")
	}
	kept := []string{policy.SidSessionManagerConsoleRead}
	if a.KMSKeyID != "" {
		kept = append(kept, policy.SidEncryptSessionData)
	}
	session, err := sessionStatements(policy.PermissionSetPolicyArgs{KMSKeyID: a.KMSKeyID}, kept...)
	if err != nil {
		return policy.Document{}, fmt.Errorf("building the broker callers' policy: %w", err)
	}
	st := []policy.Statement{
		{
			Sid:       SidInvokeSessionBroker,
			Effect:    policy.Allow,
			Action:    policy.Strings{"lambda:InvokeFunctionUrl"},
			Resource:  policy.Values{a.BrokerFunctionARN},
			Condition: policy.Condition{"StringEquals": {FunctionURLAuthType: {"AWS_IAM"}}},
		},
		{
			Sid:       SidInvokeSessionBrokerFunction,
			Effect:    policy.Allow,
			Action:    policy.Strings{"lambda:InvokeFunction"},
			Resource:  policy.Values{a.BrokerFunctionARN},
			Condition: policy.Condition{"Bool": {InvokedViaFunctionURL: {"true"}}},
		},
	}
	st = append(st, session...)
	st = append(st, []policy.Statement{
		{
			Sid:      SidDenyDirectStartSession,
			Effect:   policy.Deny,
			Action:   policy.Strings{"ssm:StartSession"},
			Resource: policy.Values{"*"},
		},
	}...)
	if !a.AllowCommands {
		st = append(st, policy.Statement{
			Sid:      policy.SidDenyRunningCommandsOnInstances,
			Effect:   policy.Deny,
			Action:   policy.CommandActions,
			Resource: policy.Values{"*"},
		})
	}
	return policy.Document{Version: policy.Version, Statement: st}, nil
}

// sessionStatements are the statements of the session policy built from
// args with the given ids, in the order asked.
func sessionStatements(args policy.PermissionSetPolicyArgs, sids ...string) ([]policy.Statement, error) {
	built := policy.PermissionSetSessionPolicy(args).Statement
	out := make([]policy.Statement, 0, len(sids))
	for _, sid := range sids {
		i := slices.IndexFunc(built, func(s policy.Statement) bool { return s.Sid == sid })
		if i < 0 {
			return nil, fmt.Errorf("the session policy has no statement %s", sid)
		}
		out = append(out, built[i])
	}
	return out, nil
}

// BrokerRoleArgs shape the broker's own role and function URL.
type BrokerRoleArgs struct {
	// OrganizationID is required.
	OrganizationID string
	// SessionRoleName is required: the base name of the per-region
	// session roles (<SessionRoleName>-<region>).
	SessionRoleName string
	// FunctionARN is required for FunctionURLPolicy.
	FunctionARN string
}

// BrokerRolePolicy lets the broker assume the session role, tag its
// session and set its SourceIdentity, in accounts of the organization
// only (aws:ResourceOrgID): a role of the same name in an account outside
// it is out of reach whatever its trust policy says.
func BrokerRolePolicy(a BrokerRoleArgs) (policy.Document, error) {
	if a.OrganizationID == "" || a.SessionRoleName == "" {
		return policy.Document{}, errors.New("building the broker's role policy: the organization id and the session role name are required")
	}
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Sid:       SidAssumeSessionRoles,
		Effect:    policy.Allow,
		Action:    policy.Strings{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
		Resource:  policy.Values{fmt.Sprintf("arn:aws:iam::*:role/%s-*", a.SessionRoleName)},
		Condition: policy.Condition{"StringEquals": {ResourceOrgIDKey: {a.OrganizationID}}},
	}}}, nil
}

// FunctionURLPolicy is the broker function's resource policy: principals
// of the organization may invoke it through its IAM-authenticated URL, and
// only through it.
func FunctionURLPolicy(a BrokerRoleArgs) (policy.Document, error) {
	if a.OrganizationID == "" || a.FunctionARN == "" {
		return policy.Document{}, errors.New("building the broker's function URL policy: the organization id and the function ARN are required")
	}
	org := policy.Condition{"StringEquals": {PrincipalOrgIDKey: {a.OrganizationID}, FunctionURLAuthType: {"AWS_IAM"}}}
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{
			Sid:       SidOrganizationInvokesURL,
			Effect:    policy.Allow,
			Principal: &policy.Principal{Everyone: true},
			Action:    policy.Strings{"lambda:InvokeFunctionUrl"},
			Resource:  policy.Values{a.FunctionARN},
			Condition: org,
		},
		{
			Sid:       SidOrganizationInvokesThroughURL,
			Effect:    policy.Allow,
			Principal: &policy.Principal{Everyone: true},
			Action:    policy.Strings{"lambda:InvokeFunction"},
			Resource:  policy.Values{a.FunctionARN},
			Condition: policy.Condition{
				"StringEquals": {PrincipalOrgIDKey: {a.OrganizationID}},
				"Bool":         {InvokedViaFunctionURL: {"true"}},
			},
		},
	}}, nil
}

func sorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// SidStartThisSession is the one statement of SessionScopePolicy.
const SidStartThisSession = "StartThisSessionOnly"

// SessionScopeArgs name the one session the broker starts with a set of
// session role credentials.
type SessionScopeArgs struct {
	// Partition is optional, default aws.
	Partition string
	// AccountID, Region, Target and Document are required.
	AccountID, Region, Target, Document string
}

// SessionScopePolicy is the session policy the broker passes to
// AssumeRole: the credentials it gets can start this one session (this
// target, this document, this region) and nothing else, whatever the
// session role allows.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
func SessionScopePolicy(a SessionScopeArgs) (policy.Document, error) {
	if a.AccountID == "" || a.Region == "" || a.Target == "" || a.Document == "" {
		return policy.Document{}, errors.New("building the session scope policy: account, region, target and document are required")
	}
	p := a.Partition
	if p == "" {
		p = "aws"
	}
	target := fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", p, a.Region, a.AccountID, a.Target)
	if len(a.Target) > 3 && a.Target[:3] == "mi-" {
		target = fmt.Sprintf("arn:%s:ssm:%s:%s:managed-instance/%s", p, a.Region, a.AccountID, a.Target)
	}
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Sid:    SidStartThisSession,
		Effect: policy.Allow,
		Action: policy.Strings{"ssm:StartSession"},
		// AWS-owned documents have no account in their ARN; "*" also
		// matches the empty account.
		Resource: policy.Values{target, fmt.Sprintf("arn:%s:ssm:%s:*:document/%s", p, a.Region, a.Document)},
	}}}, nil
}
