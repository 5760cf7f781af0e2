package runbook_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/runbook"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestMarkdown(t *testing.T) {
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	md, err := runbook.Markdown(c, "examples/per-role/runas.yaml")
	require.NoError(t, err)
	golden.Text(t, "runbook.md", md)
	for _, want := range []string{
		"https://eu-west-1.signin.aws/platform/saml/acs/7d2c5f4e-3b1a-4c9d-8e7f-6a5b4c3d2e1f",
		"https://scim.eu-west-1.amazonaws.com/a1b2c3d4e5f6-7a8b-9c0d/scim/v2",
		"| admin | SG-AWS-SSM-Admin | admin | 1 | SSM-Admin |",
		"deletes the IAM SAML provider",
		// The metadata step names the trust anchor and the tenant.
		"metadata strip --in federationmetadata.xml --config examples/per-role/runas.yaml",
		`--trust-thumbprint "$(pulumi stack output signingCertificateThumbprint)"`,
	} {
		assert.Contains(t, string(md), want)
	}
	c.Entra = nil
	_, err = runbook.Markdown(c, "x")
	assert.Error(t, err, "a runbook without the entra section must be refused")
}

// TestMarkdownPerUser: the per-user runbook prepares the directory and the
// hosts, maps the lower-casing expression, and writes no role values.
func TestMarkdownPerUser(t *testing.T) {
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	md, err := runbook.Markdown(c, "examples/per-user/runas.yaml")
	require.NoError(t, err)
	golden.Text(t, "runbook.md", md)
	text := string(md)
	for _, want := range []string{
		"## 1. Prepare the directory and the hosts",
		"Create Computer objects\" on that OU",
		"OU=Linux,OU=Servers,DC=corp,DC=example,DC=com",
		"arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-join-Ab12Cd",
		"awsSeamlessDomainUsername",
		"SSSD 2.7 or later",
		"ssm-runas-domain-join-<region>",
		"forward `corp.example.com` to 10.20.0.10, 10.20.1.10",
		"the expression `ToLower([onPremisesSamAccountName], )`",
		"--directory-value <their onPremisesSamAccountName>",
		"tagged `ssm-runas:domain-join=true`",
		"deletes the IAM SAML provider",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "sync-attributes", "per-user values are not written by the sync")
	assert.NotContains(t, text, "Write the role values")
	assert.Equal(t, 7, strings.Count(text, "\n## "), "seven numbered steps")
}
