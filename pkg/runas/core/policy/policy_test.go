package policy_test

import (
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

func TestSessionPreferencesSCP(t *testing.T) {
	d, err := policy.SessionPreferencesSCP([]string{"arn:aws:iam::*:role/platform-pipeline", "arn:aws:iam::*:role/platform-pipeline"})
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "scp.json", d.Indented())
}

func TestSessionPreferencesSCPTooLarge(t *testing.T) {
	var many []string
	for i := 0; i < 200; i++ {
		many = append(many, "arn:aws:iam::*:role/pipeline-"+strings.Repeat("x", 20)+string(rune('a'+i%26))+strings.Repeat("y", i%7))
	}
	_, err := policy.SessionPreferencesSCP(many)
	if err == nil || !strings.Contains(err.Error(), "over the 5120") {
		t.Fatalf("want a size error, got %v", err)
	}
}

func TestArtifactBucketPolicy(t *testing.T) {
	d := policy.ArtifactBucketPolicy("ssm-runas-artifacts-111111111111-eu-west-1", "o-a1b2c3d4e5")
	golden.JSON(t, "bucket_policy.json", d.Indented())
}

func TestPermissionSetSessionPolicy(t *testing.T) {
	tests := []struct {
		name string
		args policy.PermissionSetPolicyArgs
	}{
		{"default", policy.PermissionSetPolicyArgs{}},
		{"tagged_instances_documents_alias", policy.PermissionSetPolicyArgs{
			AllowedDocuments: []string{"AWS-StartPortForwardingSession"},
			InstanceTagKey:   "workload", InstanceTagValue: "oracle",
			KMSKeyID: "alias/ssm-sessions",
		}},
		{"key_arn", policy.PermissionSetPolicyArgs{KMSKeyID: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := policy.PermissionSetSessionPolicy(tc.args)
			golden.JSON(t, "policy.json", d.Indented())
			// Whatever else changes, sessions without the tag are refused.
			if !strings.Contains(string(d.JSON()), `"Effect":"Deny","Action":"ssm:StartSession","Resource":"*","Condition":{"Null":{"aws:PrincipalTag/SSMSessionRunAs":"true"}}`) {
				t.Fatalf("the Null deny is missing:\n%s", d.Indented())
			}
		})
	}
}
