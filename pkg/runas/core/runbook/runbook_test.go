package runbook_test

import (
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/runbook"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestMarkdown(t *testing.T) {
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	md, err := runbook.Markdown(c, "examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	golden.Text(t, "runbook.md", md)
	for _, want := range []string{
		"https://eu-west-1.signin.aws/platform/saml/acs/7d2c5f4e-3b1a-4c9d-8e7f-6a5b4c3d2e1f",
		"https://scim.eu-west-1.amazonaws.com/a1b2c3d4e5f6-7a8b-9c0d/scim/v2",
		"| admin | SG-AWS-SSM-Admin | admin | 1 | SSM-Admin |",
		"deletes the IAM SAML provider",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("runbook lacks %q", want)
		}
	}
	c.Entra = nil
	if _, err := runbook.Markdown(c, "x"); err == nil {
		t.Error("a runbook without the entra section must be refused")
	}
}
