package engine

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const examplePerPermissionSet = "../../examples/per-permission-set/runas.yaml"

// TestBrokerDeploysBeforeTheSessionRoleAndStaysQuiet deploys the
// per-permission-set example (per-role with a broker section) on a
// provisioned organization: the preview and the first update succeed (IAM refuses a trust
// policy naming a role that does not exist yet, and the broker's role takes
// a while to create, so a session role that does not wait for it fails),
// the broker's role exists before the StackSet and every management stack
// is created, the function URL is exported, and a second update changes
// nothing.
func TestBrokerDeploysBeforeTheSessionRoleAndStaysQuiet(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerPermissionSet)
	delete(s.Settings, "entra")

	first := s.Preview()
	require.NoError(t, first.Err, "preview of the first deployment: %s", strings.Join(first.Messages, "\n"))
	assert.Empty(t, w.Log(), "a preview changes nothing")

	up := s.Up()
	require.NoError(t, up.Err, "first deployment: %s", strings.Join(up.Messages, "\n"))

	ops := w.Log()
	roleAt := -1
	var checked []string
	for i, op := range ops {
		if op.Op != "create" {
			continue
		}
		switch {
		case op.Type == typeIAMRole && op.URN.Name() == "session-broker-role":
			roleAt = i
		case op.Type == typeStackSet, op.Type == typeStackSetInstance,
			op.Type == typeStack && strings.HasPrefix(op.URN.Name(), "management-"):
			assert.True(t, roleAt >= 0 && roleAt < i, "%s %s (step %d) is created before the broker's role", op.Type, op.URN.Name(), i)
			checked = append(checked, op.URN.Name())
		}
	}
	require.GreaterOrEqual(t, roleAt, 0, "the broker's role is created")
	assert.Len(t, checked, 1+2*3+3, "the StackSet, an instance per OU and region, a management stack per region")

	for _, typ := range []string{typeIAMRole, typeIAMRolePolicy, typeIAMRoleAttachment, typeLogGroup, typeLambdaFunction, typeLambdaFunctionURL, typeLambdaPermission} {
		assert.Len(t, w.Resources(typ), 1, typ)
	}
	groupAt, functionAt := -1, -1
	for i, op := range ops {
		switch {
		case op.Op == "create" && op.Type == typeLogGroup:
			groupAt = i
		case op.Op == "create" && op.Type == typeLambdaFunction:
			functionAt = i
		}
	}
	assert.True(t, groupAt >= 0 && groupAt < functionAt,
		"the function's log group (with its retention) exists before the function, which would otherwise create it without one")
	urlInvoke := 0
	for _, id := range w.Resources(typeStack) {
		if strings.Contains(string(id), "/ssm-runas-session-broker-url-invoke/") {
			urlInvoke++
		}
	}
	assert.Equal(t, 1, urlInvoke, "the invoke-through-URL permission's stack")

	url := up.Outputs[resource.PropertyKey("brokerUrl")]
	require.True(t, url.IsString(), "stack output brokerUrl: %v", up.Outputs)
	assert.Regexp(t, regexp.MustCompile(`^https://[a-z0-9]{32}\.lambda-url\.eu-west-1\.on\.aws/$`), url.StringValue())
	assert.Regexp(t, `^arn:aws:iam::111111111111:role/ssm-runas-session-broker$`, up.Outputs["brokerRoleArn"].StringValue())
	said := strings.Join(outputStrings(up.Outputs), "\n")
	assert.Contains(t, said, "SSM_RUNAS_BROKER_URL="+url.StringValue(), "nextSteps tell people where the broker is")

	preview := s.Preview()
	require.NoError(t, preview.Err, strings.Join(preview.Messages, "\n"))
	assert.Empty(t, stepStrings(preview.Changed()), "preview after a deployment with nothing changed")
	again := s.Up()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	assert.Empty(t, stepStrings(again.Changed()), "update after a deployment with nothing changed")
	assert.Empty(t, again.Changes, "provider calls that change something")
}

// TestAddingTheBrokerToADeployedStack adds the broker section to a
// deployed per-role stack: the StackSet's new template (with the session
// role) rolls out only once the broker's role exists, the served
// permission sets' inline policies are updated in place, and nothing is
// replaced or deleted.
func TestAddingTheBrokerToADeployedStack(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerPermissionSet)
	delete(s.Settings, "entra")
	broker := s.Settings["broker"]
	delete(s.Settings, "broker")
	first := s.Up()
	require.NoError(t, first.Err, "per-role deployment: %s", strings.Join(first.Messages, "\n"))
	require.Empty(t, w.Resources(typeLambdaFunction))

	s.Settings["broker"] = broker
	up := s.Up()
	require.NoError(t, up.Err, "adding the broker: %s", strings.Join(up.Messages, "\n"))
	assert.Empty(t, up.Deletes(), "nothing is deleted or replaced")
	var updated []string
	for _, st := range up.Changed() {
		if st.Type == typeInlinePolicy {
			updated = append(updated, st.URN.Name())
			assert.Empty(t, st.Replace, st.String())
		}
	}
	assert.ElementsMatch(t, []string{"permission-set-SSM-Admin-session-policy", "permission-set-SSM-Developer-session-policy"}, updated,
		"the served permission sets get the callers' policy in place")
	roleAt, setAt := -1, -1
	for i, op := range w.Log() {
		if op.Type == typeIAMRole && op.Op == "create" {
			roleAt = i
		}
		if op.Type == typeStackSet && op.Op == "update" {
			setAt = i
		}
	}
	require.GreaterOrEqual(t, roleAt, 0, "the broker's role is created")
	require.GreaterOrEqual(t, setAt, 0, "the StackSet takes the template with the session role")
	assert.Less(t, roleAt, setAt, "the broker's role exists before the StackSet rolls the session role out")
}

// TestRenamingTheBrokerFunction renames broker.functionName on a deployed
// stack. The function's name, its role's name (the same), the URL's
// function and the permissions' function all force replacements in
// pulumi-aws v6.83.2, so the broker is rebuilt under the new name: every
// replacement exists before what it replaces is deleted, the StackSet rolls
// the session role's new trust out only once the new role exists, the
// served permission sets call the new function, and the function URL is a
// new one (people must be given the new brokerUrl).
func TestRenamingTheBrokerFunction(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerPermissionSet)
	delete(s.Settings, "entra")
	first := s.Up()
	require.NoError(t, first.Err, "first deployment: %s", strings.Join(first.Messages, "\n"))
	oldURL := first.Outputs["brokerUrl"].StringValue()

	s.Settings["broker"].(map[string]any)["functionName"] = "session-broker-v2"
	up := s.Up()
	require.NoError(t, up.Err, "renaming the function: %s", strings.Join(up.Messages, "\n"))
	assertDeletesFollowCreates(t, up.Changes)

	newRoleAt, setAt := -1, -1
	for i, op := range up.Changes {
		switch {
		case op.Op == "create" && op.Type == typeIAMRole:
			newRoleAt = i
		case op.Op == "update" && op.Type == typeStackSet:
			setAt = i
		}
	}
	require.GreaterOrEqual(t, newRoleAt, 0, "the role is named after the function: a new role")
	require.GreaterOrEqual(t, setAt, 0, "the session role's trust names the new role: the StackSet is updated")
	assert.Less(t, newRoleAt, setAt, "the StackSet rolls the new trust out once the new role exists")

	for _, typ := range []string{typeIAMRole, typeLogGroup, typeLambdaFunction, typeLambdaFunctionURL, typeLambdaPermission} {
		assert.Len(t, w.Resources(typ), 1, "%s: the old one is deleted", typ)
	}
	fn := w.Resources(typeLambdaFunction)
	assert.Equal(t, "session-broker-v2", string(fn[0]))
	newURL := up.Outputs["brokerUrl"].StringValue()
	assert.NotEqual(t, oldURL, newURL, "a new function has a new URL")
	assert.Contains(t, strings.Join(outputStrings(up.Outputs), "\n"), "SSM_RUNAS_BROKER_URL="+newURL)
	for _, st := range up.Changed() {
		if st.Type == typeInlinePolicy {
			assert.Empty(t, st.Replace, "%s: the callers' policy names the new function in place", st)
		}
	}

	again := s.Up()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	assert.Empty(t, stepStrings(again.Changed()), "quiet after the rename")
}
