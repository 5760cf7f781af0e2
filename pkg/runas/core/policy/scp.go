package policy

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// MaxSCPSize is the largest service control policy Organizations accepts, in
// characters.
//
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
const MaxSCPSize = 5120

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

// PreferencesDocumentARN is the preferences document in every account and region.
const PreferencesDocumentARN = "arn:aws:ssm:*:*:document/" + sessiondoc.DocumentName

// AlwaysExemptRoleARNs are the principals the SCP never blocks: the StackSet
// execution roles and the writer's role, in any account.
var AlwaysExemptRoleARNs = []string{
	"arn:aws:iam::*:role/" + naming.StackSetExecutionRolePattern,
	"arn:aws:iam::*:role/" + naming.WriterRoleNamePattern,
}

// SessionPreferencesSCP denies every change to SSM-SessionManagerRunShell
// except by the StackSet execution role, the writer, and the extra roles
// given (pipelines, the remediation role). SCPs never apply to the
// management account, which is why it is configured directly.
func SessionPreferencesSCP(extraExemptRoleARNs []string) (Document, error) {
	exempt := sortedUnique(append(append([]string{}, AlwaysExemptRoleARNs...), extraExemptRoleARNs...))
	d := Document{
		Version: Version,
		Statement: []Statement{{
			Sid:      "ProtectSessionManagerPreferences",
			Effect:   Deny,
			Action:   ProtectedDocumentActions,
			Resource: Values{PreferencesDocumentARN},
			Condition: Condition{
				"ArnNotLike": {"aws:PrincipalARN": exempt},
			},
		}},
	}
	if n := len(d.JSON()); n > MaxSCPSize {
		return Document{}, fmt.Errorf("the SCP is %d characters, over the %d Organizations accepts: exempt fewer roles or use wildcards", n, MaxSCPSize)
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
