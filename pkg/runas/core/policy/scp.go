package policy

import (
	"fmt"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// MaxSCPSize is the largest service control policy Organizations accepts, in
// characters.
//
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
const MaxSCPSize = 5120

// PrincipalARNKey is the global condition key holding the ARN of the IAM
// principal that signed a request: for a role session, the role's ARN. It
// is absent from unsigned requests such as AssumeRoleWithSAML.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
const PrincipalARNKey = "aws:PrincipalARN"

// Statement ids of the guardrail SCP.
const (
	SidProtectSessionManagerPreferences = "ProtectSessionManagerPreferences"
	SidProtectPreferencesWriter         = "ProtectPreferencesWriter"
	SidProtectPreferencesStack          = "ProtectPreferencesStack"
	SidProtectRunAsRoles                = "ProtectRunAsRoles"
	SidDenyRunAsTagOnIAMPrincipals      = "DenyRunAsTagOnIAMPrincipals"
	SidDenyRunAsSessionTags             = "DenyRunAsSessionTags"
	// SidDenyReservedRunAsUsers and SidDenyStartSessionOutsideRegions are
	// shared with the permission-set policy, which repeats them for the
	// management account that SCPs never reach.
)

// ProtectedDocumentActions are the SSM actions that could change, remove or
// share the preferences document.
var ProtectedDocumentActions = []string{
	"ssm:CreateDocument",
	"ssm:DeleteDocument",
	"ssm:ModifyDocumentPermission",
	"ssm:UpdateDocument",
	"ssm:UpdateDocumentDefaultVersion",
	"ssm:UpdateDocumentMetadata",
}

// ProtectedWriterActions would let someone run the preferences writer with
// an event of their own, or change what it runs.
var ProtectedWriterActions = []string{
	"lambda:AddPermission",
	"lambda:CreateFunctionUrlConfig",
	"lambda:DeleteFunction",
	"lambda:InvokeFunction",
	"lambda:UpdateFunctionCode",
	"lambda:UpdateFunctionConfiguration",
}

// ProtectedStackActions would delete or change the StackSet's stack in a
// member account; deleting it makes the writer restore the old document.
var ProtectedStackActions = []string{
	"cloudformation:CreateChangeSet",
	"cloudformation:DeleteStack",
	"cloudformation:ExecuteChangeSet",
	"cloudformation:SetStackPolicy",
	"cloudformation:UpdateStack",
}

// ProtectedRoleActions would create a role under an exempt name, change an
// exempt role's permissions or trust, pass it to a new function, or step
// into it.
var ProtectedRoleActions = []string{
	"iam:AttachRolePolicy",
	"iam:CreateRole",
	"iam:DeleteRolePermissionsBoundary",
	"iam:DeleteRolePolicy",
	"iam:DetachRolePolicy",
	"iam:PassRole",
	"iam:PutRolePermissionsBoundary",
	"iam:PutRolePolicy",
	"iam:UpdateAssumeRolePolicy",
	"sts:AssumeRole",
}

// RunAsTagActions are the IAM calls that put a tag on a user or role. A
// principal tag SSMSessionRunAs would name the Linux user of every session
// the principal starts.
var RunAsTagActions = []string{"iam:CreateRole", "iam:CreateUser", "iam:TagRole", "iam:TagUser"}

// PreferencesDocumentARN is the preferences document in every account and region.
var PreferencesDocumentARN = DocumentARN(sessiondoc.DocumentName)

// StackSetExecutionRoleARN matches the StackSet execution role in every
// member account. Its name is not reserved by AWS, so the SCP also stops
// anyone from creating a role under it (ProtectRunAsRoles); the real one is
// created by the StackSets service-linked role, which SCPs do not affect.
var StackSetExecutionRoleARN = "arn:aws:iam::*:role/" + naming.StackSetExecutionRolePattern

// WriterRoleARN matches the preferences writer's role in every member account.
var WriterRoleARN = "arn:aws:iam::*:role/" + naming.WriterRoleNamePattern

// AlwaysExemptRoleARNs are the principals that may change the preferences
// document: the StackSet execution roles and the writer's role.
var AlwaysExemptRoleARNs = []string{StackSetExecutionRoleARN, WriterRoleARN}

// SCPArgs shape the guardrail SCP. settings.Config.GuardrailSCPArgs computes
// them from the configuration; nothing else should.
type SCPArgs struct {
	// ExemptRoleARNs are further principals that may change what the SCP
	// protects (pipelines, the remediation role). An ARN pinned to an
	// account id is exempt in that account only. An ARN with "*" as the
	// account must name one role exactly; the SCP then also protects that
	// role name in every account, as it protects the execution role's.
	ExemptRoleARNs []string
	// StackSetName is required: its stack in each member account
	// (StackSet-<name>-<id>) is protected.
	StackSetName string
	// ReservedUsers are SSMSessionRunAs values no session may start with,
	// whatever policy grants it.
	ReservedUsers []string
	// Regions are where the preferences document is deployed; sessions in
	// any other region are denied. Empty leaves regions open.
	Regions []string
	// ProtectedRoleNames are further role names (patterns) the member
	// template deploys and only the StackSet execution role may create or
	// change in member accounts, such as the session broker's session role.
	ProtectedRoleNames []string
}

// SessionPreferencesSCP is the document lock alone: the first statement of
// GuardrailSCP, with the exemptions given.
//
// Deprecated: use GuardrailSCP(cfg.GuardrailSCPArgs()), which also closes
// the ways around the lock (the writer, the stack, exempt role names, the
// Run As tag, reserved users, uncovered regions).
func SessionPreferencesSCP(extraExemptRoleARNs []string) (Document, error) {
	d := Document{Version: Version, Statement: []Statement{{
		Sid:      SidProtectSessionManagerPreferences,
		Effect:   Deny,
		Action:   ProtectedDocumentActions,
		Resource: Values{PreferencesDocumentARN},
		Condition: Condition{"ArnNotLike": {PrincipalARNKey: sortedUnique(
			append(append([]string{}, AlwaysExemptRoleARNs...), extraExemptRoleARNs...))}},
	}}}
	if n := len(d.JSON()); n > MaxSCPSize {
		return Document{}, fmt.Errorf("the SCP is %d characters, over the %d Organizations accepts: exempt fewer roles or use wildcards", n, MaxSCPSize)
	}
	return d, nil
}

// GuardrailSCP is the SCP attached with the StackSet. It denies, in member
// accounts:
//   - every change to SSM-SessionManagerRunShell except by the StackSet
//     execution role, the writer and the exempt roles;
//   - invoking or changing the writer Lambda, and changing or deleting the
//     StackSet's stack, except by the execution role and exempt roles;
//   - creating, changing, passing or assuming roles under the exempt names,
//     except by the execution role;
//   - putting the SSMSessionRunAs tag on IAM users and roles, or on role
//     sessions IAM principals start (Identity Center's SAML sign-in is
//     unsigned and carries no aws:PrincipalARN, so it is not matched);
//   - sessions whose SSMSessionRunAs value is reserved, and sessions in
//     regions without the preferences document.
//
// SCPs never apply to the management account, which is why it is
// configured directly and its permission sets repeat the session denies.
func GuardrailSCP(args SCPArgs) (Document, error) {
	if args.StackSetName == "" {
		return Document{}, fmt.Errorf("building the guardrail SCP: the StackSet name is required")
	}
	extra := sortedUnique(args.ExemptRoleARNs)
	docExempt := sortedUnique(append(append([]string{}, AlwaysExemptRoleARNs...), extra...))
	opsExempt := sortedUnique(append([]string{StackSetExecutionRoleARN}, extra...))
	protectedRoles := []string{StackSetExecutionRoleARN, WriterRoleARN}
	for _, n := range args.ProtectedRoleNames {
		protectedRoles = append(protectedRoles, "arn:aws:iam::*:role/"+n)
	}
	for _, a := range extra {
		if strings.Contains(a, "::*:") {
			protectedRoles = append(protectedRoles, a)
		}
	}
	writer := "arn:aws:lambda:*:*:function:" + naming.WriterFunctionName
	statements := []Statement{
		{
			Sid:       SidProtectSessionManagerPreferences,
			Effect:    Deny,
			Action:    ProtectedDocumentActions,
			Resource:  Values{PreferencesDocumentARN},
			Condition: Condition{"ArnNotLike": {PrincipalARNKey: docExempt}},
		},
		{
			Sid:       SidProtectPreferencesWriter,
			Effect:    Deny,
			Action:    ProtectedWriterActions,
			Resource:  Values{writer, writer + ":*"},
			Condition: Condition{"ArnNotLike": {PrincipalARNKey: opsExempt}},
		},
		{
			Sid:       SidProtectPreferencesStack,
			Effect:    Deny,
			Action:    ProtectedStackActions,
			Resource:  Values{"arn:aws:cloudformation:*:*:stack/StackSet-" + args.StackSetName + "-*"},
			Condition: Condition{"ArnNotLike": {PrincipalARNKey: opsExempt}},
		},
		{
			Sid:       SidProtectRunAsRoles,
			Effect:    Deny,
			Action:    ProtectedRoleActions,
			Resource:  values(sortedUnique(protectedRoles)),
			Condition: Condition{"ArnNotLike": {PrincipalARNKey: {StackSetExecutionRoleARN}}},
		},
		{
			Sid:       SidDenyRunAsTagOnIAMPrincipals,
			Effect:    Deny,
			Action:    RunAsTagActions,
			Resource:  Values{"*"},
			Condition: Condition{"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": {RunAsTagKey}}},
		},
		{
			Sid:      SidDenyRunAsSessionTags,
			Effect:   Deny,
			Action:   Strings{"sts:TagSession"},
			Resource: Values{"*"},
			Condition: Condition{
				"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": {RunAsTagKey}},
				"Null":                               {PrincipalARNKey: {"false"}},
			},
		},
	}
	statements = append(statements, denyReservedRunAsUsers(args.ReservedUsers)...)
	statements = append(statements, denyStartSessionOutsideRegions(args.Regions)...)
	d := Document{Version: Version, Statement: statements}
	if n := len(d.JSON()); n > MaxSCPSize {
		return Document{}, fmt.Errorf("the SCP is %d characters, over the %d Organizations accepts: exempt fewer roles, reserve fewer users or cover fewer regions", n, MaxSCPSize)
	}
	return d, nil
}

// ArtifactBucketPolicy lets every principal of the organization read the
// writer's code (CloudFormation's caller in each member account fetches it
// when it creates the function) and refuses plain HTTP.
func ArtifactBucketPolicy(bucket, organizationID string) Document {
	bucketARN := "arn:aws:s3:::" + bucket
	return Document{
		Version: Version,
		Statement: []Statement{
			{
				Sid:       "OrganizationReadsWriterCode",
				Effect:    Allow,
				Principal: &Principal{Everyone: true},
				Action:    Strings{"s3:GetObject"},
				Resource:  Values{bucketARN + "/" + naming.WriterArtifactKeyPrefix + "*"},
				Condition: Condition{"StringEquals": {"aws:PrincipalOrgID": {organizationID}}},
			},
			{
				Sid:       "DenyInsecureTransport",
				Effect:    Deny,
				Principal: &Principal{Everyone: true},
				Action:    Strings{"s3:*"},
				Resource:  Values{bucketARN, bucketARN + "/*"},
				Condition: Condition{"Bool": {"aws:SecureTransport": {"false"}}},
			},
		},
	}
}
