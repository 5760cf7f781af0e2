package policy

import (
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// RunAsPrincipalTag is the condition key of the Run As session tag.
const RunAsPrincipalTag = "aws:PrincipalTag/SSMSessionRunAs"

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

// PermissionSetPolicyArgs shape a permission set's Session Manager policy.
type PermissionSetPolicyArgs struct {
	// AllowedDocuments are session documents people may name at
	// StartSession besides SSM-SessionManagerRunShell.
	AllowedDocuments []string
	// InstanceTagKey and InstanceTagValue optionally limit sessions to
	// instances with that tag.
	InstanceTagKey, InstanceTagValue string
	// KMSKeyID is the key that encrypts session data, if any: key id, key
	// ARN, alias/NAME or alias ARN. Starting an encrypted session needs
	// kms:GenerateDataKey on it.
	KMSKeyID string
}

// PermissionSetSessionPolicy is the inline policy of a role's permission
// set: sessions only with the SSMSessionRunAs tag, so nobody silently falls
// back to the default user; only the configured documents; ending and
// resuming only one's own sessions; and the read-only calls the Session
// Manager console makes.
func PermissionSetSessionPolicy(args PermissionSetPolicyArgs) Document {
	instances := Statement{
		Sid:      "StartSessionOnInstances",
		Effect:   Allow,
		Action:   Strings{"ssm:StartSession"},
		Resource: Values{"arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"},
	}
	if args.InstanceTagKey != "" {
		instances.Condition = Condition{"StringEquals": {"ssm:resourceTag/" + args.InstanceTagKey: {args.InstanceTagValue}}}
	}
	docs := Values{"arn:aws:ssm:*:*:document/" + sessiondoc.DocumentName}
	for _, d := range sortedUnique(args.AllowedDocuments) {
		docs = append(docs, "arn:aws:ssm:*:*:document/"+d)
	}
	statements := []Statement{
		instances,
		{
			Sid:      "StartSessionWithAllowedDocuments",
			Effect:   Allow,
			Action:   Strings{"ssm:StartSession"},
			Resource: docs,
			// Forces the document check even when none is named.
			Condition: Condition{"BoolIfExists": {"ssm:SessionDocumentAccessCheck": {"true"}}},
		},
		{
			Sid:       "DenyStartSessionWithoutRunAsTag",
			Effect:    Deny,
			Action:    Strings{"ssm:StartSession"},
			Resource:  Values{"*"},
			Condition: Condition{"Null": {RunAsPrincipalTag: {"true"}}},
		},
		{
			Sid:       "EndAndResumeOwnSessions",
			Effect:    Allow,
			Action:    Strings{"ssm:ResumeSession", "ssm:TerminateSession"},
			Resource:  Values{"arn:aws:ssm:*:*:session/*"},
			Condition: Condition{"StringLike": {SessionIDTagCondition: {"${aws:userid}"}}},
		},
		{
			Sid:    "SessionManagerConsoleRead",
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
	}
	if k := args.KMSKeyID; k != "" {
		st := Statement{Sid: "EncryptSessionData", Effect: Allow, Action: Strings{"kms:GenerateDataKey"}}
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
