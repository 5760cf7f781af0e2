package runbook_test

import (
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
