package audit_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// TestCheckSCPComparesWithTheDeployedGuardrail: the audit expects the SCP
// the stack deploys (every guardrail statement), so the full SCP is
// compliant and a lock-only SCP, which leaves the writer, the stack and
// the Run As tag open, is content drift.
func TestCheckSCPComparesWithTheDeployedGuardrail(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	orgs := organizations.NewFromConfig(srv.Config("us-east-1"))
	_, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	require.NoError(t, err)
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	require.NoError(t, err)
	root := aws.ToString(roots.Roots[0].Id)

	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	c.Organization.Targets = []string{root}

	full, err := policy.GuardrailSCP(c.GuardrailSCPArgs())
	require.NoError(t, err)
	lockOnly, err := policy.SessionPreferencesSCP(c.Guardrail.ExemptRoleARNs)
	require.NoError(t, err)
	require.Less(t, len(lockOnly.Statement), len(full.Statement), "setup: the lock alone is a part of the guardrail")

	p, err := orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(c.Guardrail.PolicyName), Description: aws.String("test"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(string(full.JSON()))})
	require.NoError(t, err)
	id := p.Policy.PolicySummary.Id
	_, err = orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: id, TargetId: aws.String(root)})
	require.NoError(t, err)

	got, err := audit.CheckSCP(ctx, orgs, c)
	require.NoError(t, err)
	assert.Empty(t, got, "the SCP the stack deploys is compliant")

	_, err = orgs.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: id, Content: aws.String(string(lockOnly.JSON()))})
	require.NoError(t, err)
	got, err = audit.CheckSCP(ctx, orgs, c)
	require.NoError(t, err)
	assert.Equal(t, []string{audit.CheckSCPContent}, checks(got), findings(got))
}
