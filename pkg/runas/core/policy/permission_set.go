package policy

import (
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// RunAsTagKey is the session tag Session Manager reads the Run As user from.
const RunAsTagKey = "SSMSessionRunAs"

// RunAsPrincipalTag is the condition key of the Run As session tag.
const RunAsPrincipalTag = "aws:PrincipalTag/" + RunAsTagKey

// RequestedRegionKey is the global condition key of the region a request is
// sent to.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion
const RequestedRegionKey = "aws:RequestedRegion"

// SessionIDTagCondition is the tag SSM puts on every session with the
// aws:userid of the principal that started it. Identity Center users are
// role sessions: ${aws:username} does not exist for them, so the
// session/${aws:username}-* resource pattern from the IAM-user examples never
// matches. ${aws:userid} is "<role id>:<role session name>", the role
// session name being the Identity Center user name, and it is exactly the
// value of this tag.
//
// https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-restrict-access-quickstart.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
const SessionIDTagCondition = "ssm:resourceTag/aws:ssmmessages:session-id"

// Statement ids of the permission-set policy. explain names them when it
// says which statement decides a session.
const (
	SidStartSessionOnInstances          = "StartSessionOnInstances"
	SidStartSessionWithAllowedDocuments = "StartSessionWithAllowedDocuments"
	SidDenyStartSessionWithoutRunAsTag  = "DenyStartSessionWithoutRunAsTag"
	SidDenyRunAsOutsideRoleUsers        = "DenyRunAsOutsideRoleUsers"
	SidDenyReservedRunAsUsers           = "DenyReservedRunAsUsers"
	SidDenyOtherSessionDocuments        = "DenyOtherSessionDocuments"
	SidDenyStartSessionOutsideRegions   = "DenyStartSessionOutsideRegions"
	SidDenyRunningCommandsOnInstances   = "DenyRunningCommandsOnInstances"
	SidEndAndResumeOwnSessions          = "EndAndResumeOwnSessions"
	SidSessionManagerConsoleRead        = "SessionManagerConsoleRead"
	SidEncryptSessionData               = "EncryptSessionData"
)

// SessionTargetResources are the resources StartSession names besides the
// document: EC2 instances and hybrid managed instances.
var SessionTargetResources = []string{"arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"}

// CommandActions run code on instances through other SSM and EC2 APIs, as
// root (Run Command, State Manager, Automation, Maintenance Windows) or as
// any local user (EC2 Instance Connect pushes a key for the OS user the
// caller names), so they go around Run As.
//
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
var CommandActions = []string{
	"ec2-instance-connect:SendSSHPublicKey",
	"ec2-instance-connect:SendSerialConsoleSSHPublicKey",
	"ssm:CreateAssociation",
	"ssm:CreateAssociationBatch",
	"ssm:RegisterTaskWithMaintenanceWindow",
	"ssm:SendCommand",
	"ssm:StartAutomationExecution",
	"ssm:UpdateAssociation",
	"ssm:UpdateMaintenanceWindowTask",
}

// DocumentARN is the ARN pattern of a session document in every account and
// region.
func DocumentARN(name string) string { return "arn:aws:ssm:*:*:document/" + name }

// PermissionSetPolicyArgs shape a permission set's Session Manager policy.
// settings.Config.PermissionSetPolicyArgs computes them from the
// configuration; nothing else should.
type PermissionSetPolicyArgs struct {
	// AllowedDocuments are session documents people may name at
	// StartSession besides SSM-SessionManagerRunShell. Every other
	// document is denied, whatever other policies of the permission set
	// allow.
	AllowedDocuments []string
	// RoleUsers, when set (per-role model), are the only SSMSessionRunAs
	// values a session may start with: every configured role's Linux user.
	// A session without the tag is refused by the same statement.
	RoleUsers []string
	// ReservedUsers are SSMSessionRunAs values that never start a session
	// (stock accounts with passwordless sudo, ssm-user, root). Used when
	// RoleUsers is empty; with RoleUsers every other value is refused anyway.
	ReservedUsers []string
	// Regions, when set, are the only regions sessions may start in: where
	// the preferences document with Run As on is deployed.
	Regions []string
	// AllowCommands leaves out the deny of CommandActions.
	AllowCommands bool
	// InstanceTagKey and InstanceTagValue optionally limit sessions to
	// instances with that tag.
	InstanceTagKey, InstanceTagValue string
	// KMSKeyID is the key that encrypts session data, if any: key id, key
	// ARN, alias/NAME or alias ARN. Starting an encrypted session needs
	// kms:GenerateDataKey on it.
	KMSKeyID string
}

// PermissionSetSessionPolicy is the inline policy of a role's permission
// set. It allows sessions with the allowed documents on instances, ending
// and resuming one's own sessions, and the read-only calls the Session
// Manager console makes. Its denies hold whatever other policies the
// permission set carries (PowerUserAccess, AmazonSSMFullAccess): no session
// without an acceptable SSMSessionRunAs value, none with another document,
// none in a region without the preferences, and no Run Command and friends
// unless the role allows them.
func PermissionSetSessionPolicy(args PermissionSetPolicyArgs) Document {
	instances := Statement{
		Sid:      SidStartSessionOnInstances,
		Effect:   Allow,
		Action:   Strings{"ssm:StartSession"},
		Resource: values(SessionTargetResources),
	}
	if args.InstanceTagKey != "" {
		instances.Condition = Condition{"StringEquals": {"ssm:resourceTag/" + args.InstanceTagKey: {args.InstanceTagValue}}}
	}
	docs := Values{DocumentARN(sessiondoc.DocumentName)}
	for _, d := range sortedUnique(args.AllowedDocuments) {
		docs = append(docs, DocumentARN(d))
	}
	statements := []Statement{
		instances,
		{
			Sid:      SidStartSessionWithAllowedDocuments,
			Effect:   Allow,
			Action:   Strings{"ssm:StartSession"},
			Resource: docs,
			// Forces the document check even when none is named.
			Condition: Condition{"BoolIfExists": {"ssm:SessionDocumentAccessCheck": {"true"}}},
		},
	}
	if users := sortedUnique(args.RoleUsers); len(users) > 0 {
		// A missing key makes a negated operator true, so this one
		// statement also refuses sessions without the tag.
		statements = append(statements, Statement{
			Sid:       SidDenyRunAsOutsideRoleUsers,
			Effect:    Deny,
			Action:    Strings{"ssm:StartSession"},
			Resource:  Values{"*"},
			Condition: Condition{"StringNotEquals": {RunAsPrincipalTag: users}},
		})
	} else {
		statements = append(statements, Statement{
			Sid:       SidDenyStartSessionWithoutRunAsTag,
			Effect:    Deny,
			Action:    Strings{"ssm:StartSession"},
			Resource:  Values{"*"},
			Condition: Condition{"Null": {RunAsPrincipalTag: {"true"}}},
		})
		statements = append(statements, denyReservedRunAsUsers(args.ReservedUsers)...)
	}
	notDocs := append(values(SessionTargetResources), docs...)
	statements = append(statements, Statement{
		Sid:         SidDenyOtherSessionDocuments,
		Effect:      Deny,
		Action:      Strings{"ssm:StartSession"},
		NotResource: notDocs,
	})
	statements = append(statements, denyStartSessionOutsideRegions(args.Regions)...)
	if !args.AllowCommands {
		statements = append(statements, Statement{
			Sid:      SidDenyRunningCommandsOnInstances,
			Effect:   Deny,
			Action:   CommandActions,
			Resource: Values{"*"},
		})
	}
	statements = append(statements,
		Statement{
			Sid:       SidEndAndResumeOwnSessions,
			Effect:    Allow,
			Action:    Strings{"ssm:ResumeSession", "ssm:TerminateSession"},
			Resource:  Values{"arn:aws:ssm:*:*:session/*"},
			Condition: Condition{"StringLike": {SessionIDTagCondition: {"${aws:userid}"}}},
		},
		Statement{
			Sid:    SidSessionManagerConsoleRead,
			Effect: Allow,
			Action: Strings{
				"ec2:DescribeInstances",
				"ssm:DescribeInstanceInformation",
				"ssm:DescribeInstanceProperties",
				"ssm:DescribeSessions",
				"ssm:GetConnectionStatus",
			},
			Resource: Values{"*"},
		},
	)
	if k := args.KMSKeyID; k != "" {
		st := Statement{Sid: SidEncryptSessionData, Effect: Allow, Action: Strings{"kms:GenerateDataKey"}}
		switch {
		case strings.HasPrefix(k, "arn:") && strings.Contains(k, ":key/"):
			st.Resource = Values{k}
		case strings.HasPrefix(k, "alias/") || strings.Contains(k, ":alias/"):
			alias := k[strings.Index(k, "alias/"):]
			st.Resource = Values{"arn:aws:kms:*:*:key/*"}
			st.Condition = Condition{"ForAnyValue:StringEquals": {"kms:ResourceAliases": {alias}}}
		default:
			st.Resource = Values{"arn:aws:kms:*:*:key/" + k}
		}
		statements = append(statements, st)
	}
	return Document{Version: Version, Statement: statements}
}

func values(in []string) Values {
	out := make(Values, len(in))
	for i, s := range in {
		out[i] = s
	}
	return out
}

// denyReservedRunAsUsers refuses sessions tagged with a reserved user; the
// permission-set policy and the SCP carry the same statement. None without
// reserved users.
func denyReservedRunAsUsers(users []string) []Statement {
	reserved := sortedUnique(users)
	if len(reserved) == 0 {
		return nil
	}
	return []Statement{{
		Sid:       SidDenyReservedRunAsUsers,
		Effect:    Deny,
		Action:    Strings{"ssm:StartSession"},
		Resource:  Values{"*"},
		Condition: Condition{"StringEquals": {RunAsPrincipalTag: reserved}},
	}}
}

// denyStartSessionOutsideRegions refuses sessions outside the regions with
// the preferences document; the permission-set policy and the SCP carry
// the same statement. None without regions.
func denyStartSessionOutsideRegions(regions []string) []Statement {
	covered := sortedUnique(regions)
	if len(covered) == 0 {
		return nil
	}
	return []Statement{{
		Sid:       SidDenyStartSessionOutsideRegions,
		Effect:    Deny,
		Action:    Strings{"ssm:StartSession"},
		Resource:  Values{"*"},
		Condition: Condition{"StringNotEquals": {RequestedRegionKey: covered}},
	}}
}
