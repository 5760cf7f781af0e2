package perrole_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	perrole "github.com/ssm-runas/ssm-runas/stacks/per-role"
)

func example(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	return c
}

// inputs stand in for what stacks/main.go resolves; the writer's zip is a
// stand-in so the golden file does not change with the Go toolchain.
func inputs(t *testing.T, token bool) deploy.Inputs {
	t.Helper()
	zip := filepath.Join(t.TempDir(), "writer.zip")
	require.NoError(t, os.WriteFile(zip, []byte("zip"), 0o644))
	in := deploy.Inputs{Writer: artifact.Zip{Path: zip, SHA256: strings.Repeat("0", 64)}}
	if token {
		in.SCIMToken = pulumi.ToSecret(pulumi.String("test-token")).(pulumi.StringOutput)
	}
	return in
}

func groups(c *settings.Config) []string {
	var out []string
	for _, r := range c.Roles {
		out = append(out, r.EntraGroup)
	}
	return out
}

func run(t *testing.T, rec *pulumimock.Recorder, c *settings.Config, in deploy.Inputs) []pulumimock.Row {
	t.Helper()
	rows, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error { return perrole.Program(ctx, c, in) })
	require.NoError(t, err)
	return rows
}

// TestProgram records the whole per-role stack, once every prerequisite
// exists (groups provisioned, SCIM token set), and compares it with a
// golden plan.
func TestProgram(t *testing.T) {
	c := example(t)
	rec := &pulumimock.Recorder{IdentityStoreGroups: groups(c), EntraGroups: groups(c)}
	rows := run(t, rec, c, inputs(t, true))
	b, err := json.MarshalIndent(map[string]any{"resources": rows}, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "plan.json", b)
}

// TestFirstDeployment runs the program against a fresh organization: no
// group provisioned into Identity Center and no SCIM token yet. It must
// succeed, deploy everything else, and leave out exactly the assignments
// and the provisioning job.
func TestFirstDeployment(t *testing.T) {
	c := example(t)
	rows := run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, inputs(t, false))

	assert.Empty(t, pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment"), "no group exists yet")
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet"), 4, "permission sets do not wait for groups")
	assert.Len(t, pulumimock.OfType(rows, "aws:cloudformation/stackSet:StackSet"), 1)
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes"), 1)
	assert.Empty(t, pulumimock.OfType(rows, "azuread:index/synchronizationJob:SynchronizationJob"), "a job without the token goes to quarantine")
	assert.Empty(t, pulumimock.OfType(rows, "azuread:index/synchronizationSecret:SynchronizationSecret"))
	assert.Len(t, pulumimock.OfType(rows, "azuread:index/appRoleAssignment:AppRoleAssignment"), 4, "Entra groups exist before the first run")
}

// TestGroupsArriveOneByOne: a role whose group is provisioned gets its
// assignments; the others wait, and nothing fails.
func TestGroupsArriveOneByOne(t *testing.T) {
	c := example(t)
	rows := run(t, &pulumimock.Recorder{IdentityStoreGroups: []string{"SG-AWS-SSM-Developer"}, EntraGroups: groups(c)}, c, inputs(t, true))
	var principals []string
	for _, r := range pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment") {
		principals = append(principals, r.Inputs["principalId"].(string))
	}
	assert.Equal(t, []string{"group-SG-AWS-SSM-Developer", "group-SG-AWS-SSM-Developer"}, principals)
}

func TestProgramWithoutGuardrail(t *testing.T) {
	c := example(t)
	c.Guardrail.Enabled = new(bool)
	rows := run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, inputs(t, true))
	for _, r := range rows {
		assert.False(t, strings.HasPrefix(r.Type, "aws:organizations/"), "guardrail disabled but %s %s planned", r.Type, r.Name)
	}
}

// TestProvidersOnePerRegion: every aws resource goes through one of the
// program's regional providers, and there is one provider per region.
func TestProvidersOnePerRegion(t *testing.T) {
	c := example(t)
	in := inputs(t, true)
	in.AWS = deploy.AWSSettings{Profile: "org-admin", AssumeRole: &deploy.AssumeRole{RoleARN: "arn:aws:iam::111111111111:role/deploy"}}
	rows := run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, in)

	providers := pulumimock.OfType(rows, "pulumi:providers:aws")
	var names []string
	for _, p := range providers {
		names = append(names, p.Name)
		assert.Equal(t, "org-admin", p.Inputs["profile"], "aws:profile must reach %s", p.Name)
		assert.Equal(t, map[string]any{"roleArn": "arn:aws:iam::111111111111:role/deploy"}, p.Inputs["assumeRole"], "aws:assumeRole must reach %s", p.Name)
	}
	assert.ElementsMatch(t, []string{"aws-eu-west-1", "aws-eu-central-1", "aws-us-east-1"}, names)
	for _, r := range rows {
		if strings.HasPrefix(r.Type, "aws:") {
			assert.NotEmpty(t, r.Provider, "%s %s uses the default provider", r.Type, r.Name)
		}
	}
}

func TestManagementAccountThroughRole(t *testing.T) {
	c := example(t)
	c.Organization.ManagementAccount.AssumeRoleARN = "arn:aws:iam::111111111111:role/ssm-runas-deploy"
	rows := run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, inputs(t, true))
	for _, st := range pulumimock.OfType(rows, "aws:cloudformation/stack:Stack") {
		region := strings.TrimSuffix(strings.TrimPrefix(st.Name, "management-"), "-stack")
		assert.Equal(t, "aws-management-"+region, st.Provider)
	}
	assert.Len(t, pulumimock.OfType(rows, "pulumi:providers:aws"), 6)
}

func TestLayers(t *testing.T) {
	c := example(t)
	t.Run("entra only", func(t *testing.T) {
		in := inputs(t, true)
		in.Layers = deploy.Layers{EntraOnly: true}
		for _, r := range run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, in) {
			assert.False(t, strings.HasPrefix(r.Type, "aws:") || r.Type == "pulumi:providers:aws", "%s in the Entra layer", r.Type)
		}
	})
	t.Run("aws only", func(t *testing.T) {
		in := inputs(t, true)
		in.Layers = deploy.Layers{AWSOnly: true}
		for _, r := range run(t, &pulumimock.Recorder{}, c, in) {
			assert.False(t, strings.HasPrefix(r.Type, "azuread:"), "%s in the AWS layer", r.Type)
		}
	})
}

func TestAdopt(t *testing.T) {
	c := example(t)
	c.Adopt = &settings.Adopt{
		AccessControlAttributes: true,
		EntraApplication: &settings.AdoptEntraApplication{
			ApplicationObjectID:      "11111111-1111-1111-1111-111111111111",
			ServicePrincipalObjectID: "22222222-2222-2222-2222-222222222222",
		},
	}
	rows := run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, inputs(t, true))
	imports := map[string]string{}
	for _, r := range rows {
		if r.Options != nil && r.Options.ImportID != "" {
			imports[r.Type] = r.Options.ImportID
		}
	}
	assert.Equal(t, map[string]string{
		"aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes": c.IdentityCenter.InstanceARN,
		"azuread:index/applicationFromTemplate:ApplicationFromTemplate":                "/applicationTemplates/21ed01d2-ec13-4e9e-86c1-cd546719ebc4/instantiate/11111111-1111-1111-1111-111111111111/22222222-2222-2222-2222-222222222222",
		"azuread:index/applicationIdentifierUri:ApplicationIdentifierUri":              "/applications/11111111-1111-1111-1111-111111111111/identifierUris/aHR0cHM6Ly9ldS13ZXN0LTEuc2lnbmluLmF3cy9wbGF0Zm9ybS9zYW1sL2QtOTA2N2ExYjJjMw==",
		"azuread:index/applicationRedirectUris:ApplicationRedirectUris":                "/applications/11111111-1111-1111-1111-111111111111/redirectUris/Web",
	}, imports)
}

func TestProgramRefusesMissingWriter(t *testing.T) {
	c := example(t)
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error { return perrole.Program(ctx, c, deploy.Inputs{}) })
	assert.ErrorContains(t, err, "the writer's zip is required")
	_, err = pulumimock.Run(func(ctx *pulumi.Context) error { return perrole.Program(ctx, nil, deploy.Inputs{}) })
	assert.ErrorContains(t, err, "configuration is required")
}
