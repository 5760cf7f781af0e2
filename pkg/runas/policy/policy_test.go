package policy_test

import (
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/policy"
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
