package perrole_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	perrole "github.com/ssm-runas/ssm-runas/stacks/per-role"
)

func brokerExample(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	require.NotNil(t, c.Broker, "the example has a broker section")
	return c
}

func brokerInputs(t *testing.T) perrole.Inputs {
	t.Helper()
	in := inputs(t, true)
	zip := filepath.Join(t.TempDir(), "broker.zip")
	require.NoError(t, os.WriteFile(zip, []byte("zip"), 0o644))
	in.Broker = artifact.Zip{Path: zip, SHA256: strings.Repeat("1", 64)}
	return in
}

func byName(t *testing.T, rows []pulumimock.Row, typ, name string) pulumimock.Row {
	t.Helper()
	for _, r := range rows {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	require.Failf(t, "not planned", "%s %s", typ, name)
	return pulumimock.Row{}
}

// allowsStartSession reports whether a statement of doc allows
// ssm:StartSession (by name or wildcard).
func allowsStartSession(t *testing.T, doc string) bool {
	t.Helper()
	var d struct {
		Statement []struct {
			Effect string
			Action any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &d))
	for _, st := range d.Statement {
		var actions []string
		switch a := st.Action.(type) {
		case string:
			actions = []string{a}
		case []any:
			for _, s := range a {
				actions = append(actions, s.(string))
			}
		}
		if st.Effect == policy.Allow && slices.ContainsFunc(actions, func(a string) bool { return a == "ssm:StartSession" || a == "ssm:*" || a == "*" }) {
			return true
		}
	}
	return false
}

func TestProgramDeploysTheBroker(t *testing.T) {
	c := brokerExample(t)
	rows := run(t, &pulumimock.Recorder{IdentityStoreGroups: groups(c), EntraGroups: groups(c)}, c, brokerInputs(t))

	fn := byName(t, rows, "aws:lambda/function:Function", "session-broker-function")
	assert.Equal(t, "session-broker", fn.Parent)
	assert.Equal(t, "aws-eu-west-1", fn.Provider, "the management account, in broker.region")
	assert.Equal(t, "ssm-runas-session-broker", fn.Inputs["name"])
	env := fn.Inputs["environment"].(map[string]any)["variables"].(map[string]any)
	want, err := json.Marshal(c.BrokerRules())
	require.NoError(t, err)
	assert.JSONEq(t, string(want), env["SSM_RUNAS_BROKER_RULES"].(string))
	assert.Equal(t, "ssm-runas-session-broker", byName(t, rows, "aws:iam/role:Role", "session-broker-role").Inputs["name"])
	assert.Equal(t, "AWS_IAM", byName(t, rows, "aws:lambda/functionUrl:FunctionUrl", "session-broker-url").Inputs["authorizationType"])
	byName(t, rows, "aws:lambda/permission:Permission", "session-broker-organization-invokes-url")
	byName(t, rows, "aws:cloudformation/stack:Stack", "session-broker-url-invoke")
}

func TestProgramGivesServedPermissionSetsTheCallerPolicy(t *testing.T) {
	c := brokerExample(t)
	rows := run(t, &pulumimock.Recorder{IdentityStoreGroups: groups(c), EntraGroups: groups(c)}, c, brokerInputs(t))
	for _, role := range c.Roles {
		name := role.PermissionSet.Name
		inline := byName(t, rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy", "permission-set-"+name+"-session-policy")
		doc := inline.Inputs["inlinePolicy"].(string)
		if c.BrokerServes(name) {
			want, err := brokerpolicy.CallerPolicy(c.BrokerCallerArgs(role.PermissionSet.AllowRunCommands))
			require.NoError(t, err)
			assert.JSONEq(t, string(want.JSON()), doc, name)
			assert.False(t, allowsStartSession(t, doc), "%s is served by the broker and must not start sessions itself", name)
		} else {
			assert.JSONEq(t, string(policy.PermissionSetSessionPolicy(c.PermissionSetPolicyArgs(role)).JSON()), doc, name)
			assert.True(t, allowsStartSession(t, doc), "%s starts sessions directly", name)
		}
	}
	assert.True(t, c.BrokerServes("SSM-Admin") && c.BrokerServes("SSM-Developer") && !c.BrokerServes("SSM-Support"),
		"the example serves two permission sets and keeps a direct one")
}

// TestSessionRoleWaitsForTheBrokerRole: the member template's session role
// trusts the broker's role, which IAM checks at creation, so the StackSet,
// its instances and the management account's stacks wait for it.
func TestSessionRoleWaitsForTheBrokerRole(t *testing.T) {
	c := brokerExample(t)
	rows := run(t, &pulumimock.Recorder{IdentityStoreGroups: groups(c), EntraGroups: groups(c)}, c, brokerInputs(t))
	var checked []string
	for _, r := range rows {
		switch {
		case r.Type == "aws:cloudformation/stackSet:StackSet",
			r.Type == "aws:cloudformation/stackSetInstance:StackSetInstance",
			r.Type == "aws:cloudformation/stack:Stack" && strings.HasPrefix(r.Name, "management-"):
			require.NotNil(t, r.Options, r.Name)
			assert.Contains(t, r.Options.DependsOn, "session-broker-role", "%s %s", r.Type, r.Name)
			checked = append(checked, r.Name)
		}
	}
	assert.Len(t, checked, 1+2*3+3, "the StackSet, an instance per OU and region, a management stack per region")
}

func TestProgramBrokerThroughTheManagementRole(t *testing.T) {
	c := brokerExample(t)
	c.Organization.ManagementAccount.AssumeRoleARN = "arn:aws:iam::111111111111:role/ssm-runas-deploy"
	rows := run(t, &pulumimock.Recorder{EntraGroups: groups(c)}, c, brokerInputs(t))
	for _, r := range rows {
		if r.Parent == "session-broker" {
			assert.Equal(t, "aws-management-eu-west-1", r.Provider, "%s %s", r.Type, r.Name)
		}
	}
}

func TestProgramRefusesMissingBrokerZip(t *testing.T) {
	c := brokerExample(t)
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error { return perrole.Program(ctx, c, inputs(t, true)) })
	assert.ErrorContains(t, err, "the broker's zip is required")
}

// TestProgramWithBroker records the whole per-permission-set example, once
// every prerequisite exists, and compares it with a golden plan.
func TestProgramWithBroker(t *testing.T) {
	c := brokerExample(t)
	rows := run(t, &pulumimock.Recorder{IdentityStoreGroups: groups(c), EntraGroups: groups(c)}, c, brokerInputs(t))
	b, err := json.MarshalIndent(map[string]any{"resources": rows}, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "plan.json", b)
}
