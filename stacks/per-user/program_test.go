package peruser_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	peruser "github.com/ssm-runas/ssm-runas/stacks/per-user"
)

func example(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	return c
}

// access is what the example's AD-backed Entra groups get: engineers a
// permission set in the workloads OU, database operators another in one
// account, and an existing permission set for the platform team.
func access() []peruser.Access {
	return []peruser.Access{
		{EntraGroup: "Linux-Users", PermissionSet: settings.PermissionSet{Name: "SSM-Linux-User", SessionDuration: "PT4H"}, Assignments: []string{"ou-a1b2-workloads1"}},
		{EntraGroup: "DB Operators", PermissionSet: settings.PermissionSet{Name: "SSM-DB-Operator", InstanceTagKey: "role", InstanceTagValue: "database"}, Assignments: []string{"222222222222"}},
		{EntraGroup: "Linux-Admins", PermissionSet: settings.PermissionSet{ARN: "arn:aws:sso:::permissionSet/ssoins-72230e1a2b3c4d5e/ps-0123456789abcdef"}, Assignments: []string{"333333333333"}},
	}
}

func groups() []string { return []string{"Linux-Users", "DB Operators", "Linux-Admins"} }

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

func deployWith(t *testing.T, rec *pulumimock.Recorder, c *settings.Config, in deploy.Inputs, a []peruser.Access) []pulumimock.Row {
	t.Helper()
	rows, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error { return peruser.Deploy(ctx, c, in, a) })
	require.NoError(t, err)
	return rows
}

// TestProgram records the whole per-user deployment once every
// prerequisite exists and compares it with the golden plan.
func TestProgram(t *testing.T) {
	c := example(t)
	rows := deployWith(t, &pulumimock.Recorder{IdentityStoreGroups: groups(), EntraGroups: groups()}, c, inputs(t, true), access())
	b, err := json.MarshalIndent(map[string]any{"resources": rows}, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "plan.json", b)
}

// TestStackSetCarriesTheDomainJoin: the template every member account gets
// holds the join association and no role accounts.
func TestStackSetCarriesTheDomainJoin(t *testing.T) {
	c := example(t)
	rows := deployWith(t, &pulumimock.Recorder{EntraGroups: groups()}, c, inputs(t, true), nil)
	sets := pulumimock.OfType(rows, "aws:cloudformation/stackSet:StackSet")
	require.Len(t, sets, 1)
	var tpl struct {
		Resources map[string]struct{ Type string }
	}
	require.NoError(t, json.Unmarshal([]byte(sets[0].Inputs["templateBody"].(string)), &tpl))
	assert.Equal(t, "AWS::SSM::Association", tpl.Resources[hostjoin.LogicalAssociation].Type)
	assert.Equal(t, "AWS::SSM::Document", tpl.Resources[hostjoin.LogicalDocument].Type)
	assert.Equal(t, "AWS::IAM::ManagedPolicy", tpl.Resources[hostjoin.LogicalPolicy].Type)
	assert.NotContains(t, tpl.Resources, "HostAccountsAssociation")
	for _, st := range pulumimock.OfType(rows, "aws:cloudformation/stack:Stack") {
		assert.Equal(t, sets[0].Inputs["templateBody"], st.Inputs["templateBody"], "the management account gets the same template")
	}
}

// TestPermissionSetsDenyAsPerRoleDoes: each created permission set carries
// the session policy from settings.PermissionSetPolicyArgs: sessions need
// the Run As tag, reserved names are denied, and only the covered regions.
func TestPermissionSetsDenyAsPerRoleDoes(t *testing.T) {
	c := example(t)
	rows := deployWith(t, &pulumimock.Recorder{IdentityStoreGroups: groups(), EntraGroups: groups()}, c, inputs(t, true), access())
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet"), 2, "the existing permission set is not created")
	inline := pulumimock.OfType(rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy")
	require.Len(t, inline, 2)
	var linuxUsers pulumimock.Row
	for _, r := range inline {
		if strings.Contains(r.Name, "SSM-Linux-User") {
			linuxUsers = r
		}
	}
	require.NotEmpty(t, linuxUsers.Name, "the inline policy of SSM-Linux-User")
	want := policy.PermissionSetSessionPolicy(c.PermissionSetPolicyArgs(settings.Role{PermissionSet: access()[0].PermissionSet}))
	assert.JSONEq(t, string(want.JSON()), linuxUsers.Inputs["inlinePolicy"].(string))
	var doc struct{ Statement []struct{ Sid string } }
	require.NoError(t, json.Unmarshal([]byte(linuxUsers.Inputs["inlinePolicy"].(string)), &doc))
	var sids []string
	for _, s := range doc.Statement {
		sids = append(sids, s.Sid)
	}
	assert.Contains(t, sids, policy.SidDenyStartSessionWithoutRunAsTag)
	assert.Contains(t, sids, policy.SidDenyReservedRunAsUsers)
	assert.Contains(t, sids, policy.SidDenyStartSessionOutsideRegions)
	assert.NotContains(t, sids, policy.SidDenyRunAsOutsideRoleUsers, "per-user has no role users")

	var principals []string
	for _, r := range pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment") {
		principals = append(principals, r.Inputs["principalId"].(string))
	}
	assert.ElementsMatch(t, []string{"group-Linux-Users", "group-DB Operators", "group-Linux-Admins"}, principals)
}

// TestFirstDeployment: no group provisioned and no SCIM token yet; the run
// succeeds and leaves out exactly the assignments and the job.
func TestFirstDeployment(t *testing.T) {
	c := example(t)
	rows := deployWith(t, &pulumimock.Recorder{EntraGroups: groups()}, c, inputs(t, false), access())
	assert.Empty(t, pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment"))
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet"), 2)
	assert.Empty(t, pulumimock.OfType(rows, "azuread:index/synchronizationJob:SynchronizationJob"))
	assert.Len(t, pulumimock.OfType(rows, "azuread:index/appRoleAssignment:AppRoleAssignment"), 3, "the AD-backed groups are assigned to the app")
}

// TestProgramFromConfiguration runs Program on the example as it is: the
// configuration has no per-user permission sets, so none are deployed and
// the next steps say so.
func TestProgramFromConfiguration(t *testing.T) {
	c := example(t)
	var groups []string
	for _, a := range peruser.AccessOf(c) {
		groups = append(groups, a.EntraGroup)
	}
	require.Len(t, groups, len(c.PerUser.PermissionSets), "perUser.permissionSets reach the program")
	// A first deployment: the Entra groups exist, SCIM has not provisioned
	// them into the identity store yet.
	rows, err := pulumimock.RunWith(&pulumimock.Recorder{EntraGroups: groups}, func(ctx *pulumi.Context) error {
		return peruser.Program(ctx, c, inputs(t, true))
	})
	require.NoError(t, err)
	var names []string
	for _, r := range pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet") {
		names = append(names, r.Inputs["name"].(string))
	}
	assert.ElementsMatch(t, []string{"SSM-PerUser", "SSM-PerUser-DB"}, names)
	assert.Empty(t, pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment"), "no assignment before SCIM provisions the groups")
	assert.Len(t, pulumimock.OfType(rows, "aws:cloudformation/stackSet:StackSet"), 1)
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes"), 1)

	// Once SCIM has provisioned them, every account under the OU is assigned.
	rows, err = pulumimock.RunWith(&pulumimock.Recorder{EntraGroups: groups, IdentityStoreGroups: groups}, func(ctx *pulumi.Context) error {
		return peruser.Program(ctx, c, inputs(t, true))
	})
	require.NoError(t, err)
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment"), 2)
}

func TestLayers(t *testing.T) {
	c := example(t)
	in := inputs(t, true)
	in.Layers = deploy.Layers{EntraOnly: true}
	for _, r := range deployWith(t, &pulumimock.Recorder{EntraGroups: groups()}, c, in, access()) {
		assert.False(t, strings.HasPrefix(r.Type, "aws:") || r.Type == "pulumi:providers:aws", "%s in the Entra layer", r.Type)
	}
	in.Layers = deploy.Layers{AWSOnly: true}
	for _, r := range deployWith(t, &pulumimock.Recorder{}, c, in, access()) {
		assert.False(t, strings.HasPrefix(r.Type, "azuread:"), "%s in the AWS layer", r.Type)
	}
}

func TestProgramRefuses(t *testing.T) {
	c := example(t)
	for name, tc := range map[string]struct {
		cfg    *settings.Config
		in     deploy.Inputs
		access []peruser.Access
		want   string
	}{
		"no configuration":  {nil, inputs(t, true), nil, "configuration is required"},
		"no writer":         {c, deploy.Inputs{}, nil, "the writer's zip is required"},
		"group missing":     {c, inputs(t, true), []peruser.Access{{PermissionSet: settings.PermissionSet{Name: "X"}}}, "access[0].entraGroup: is required"},
		"no permission set": {c, inputs(t, true), []peruser.Access{{EntraGroup: "G"}}, "set arn (an existing permission set) or name (one to create)"},
		"twice": {c, inputs(t, true), []peruser.Access{
			{EntraGroup: "G", PermissionSet: settings.PermissionSet{Name: "X"}},
			{EntraGroup: "g", PermissionSet: settings.PermissionSet{Name: "X"}}}, `access[1].entraGroup "g": already gets permission set X in access[0]`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pulumimock.Run(func(ctx *pulumi.Context) error { return peruser.Deploy(ctx, tc.cfg, tc.in, tc.access) })
			assert.ErrorContains(t, err, tc.want)
		})
	}
	perRole, err := settings.Load("../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	_, err = pulumimock.Run(func(ctx *pulumi.Context) error { return peruser.Program(ctx, perRole, inputs(t, true)) })
	assert.ErrorContains(t, err, `model "per-role" with a perUser section is required`)
}

// ExampleDeploy records the per-user deployment under mocks (what
// `runas plan` shows) and counts what the StackSet's template carries.
func ExampleDeploy() {
	c, err := settings.Load("../../examples/per-user/runas.yaml")
	if err != nil {
		panic(err)
	}
	in := deploy.Inputs{Writer: artifact.NotBuilt}
	a := []peruser.Access{{EntraGroup: "Linux-Users", PermissionSet: settings.PermissionSet{Name: "SSM-Linux-User"}, Assignments: []string{"ou-a1b2-workloads1"}}}
	// The Entra group exists; SCIM has not provisioned it yet.
	rec := &pulumimock.Recorder{EntraGroups: []string{"Linux-Users"}}
	rows, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error { return peruser.Deploy(ctx, c, in, a) })
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		if r.Type == "aws:ssoadmin/permissionSet:PermissionSet" {
			fmt.Println(r.Inputs["name"])
		}
	}
	// Output:
	// SSM-Linux-User
}
