package settings_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestDecideRole(t *testing.T) {
	admin := settings.Role{Name: "admin", EntraGroup: "SG-Admin", LinuxUser: "admin", Precedence: 1}
	dev := settings.Role{Name: "developer", EntraGroup: "SG-Dev", LinuxUser: "developer", Precedence: 2}
	clash := settings.Role{Name: "clash", EntraGroup: "SG-Clash", LinuxUser: "clash", Precedence: 2}
	same := settings.Role{Name: "dev2", EntraGroup: "SG-Dev2", LinuxUser: "developer", Precedence: 2}

	t.Run("no role group", func(t *testing.T) {
		d := settings.DecideRole(nil)
		assert.Nil(t, d.Winner)
		assert.Nil(t, d.Conflict)
	})
	t.Run("highest precedence wins whatever the order", func(t *testing.T) {
		d := settings.DecideRole([]settings.Role{dev, admin})
		require.NotNil(t, d.Winner)
		assert.Equal(t, "admin", d.Winner.LinuxUser)
		assert.Equal(t, []settings.Role{dev}, d.Others)
		assert.Nil(t, d.Conflict)
	})
	t.Run("equal precedence with different users is a conflict", func(t *testing.T) {
		d := settings.DecideRole([]settings.Role{dev, clash})
		require.NotNil(t, d.Conflict)
		assert.Equal(t, "clash", d.Conflict.Name)
	})
	t.Run("equal precedence with the same user is no conflict", func(t *testing.T) {
		d := settings.DecideRole([]settings.Role{dev, same})
		assert.Nil(t, d.Conflict)
		assert.Equal(t, "developer", d.Winner.LinuxUser)
	})
	t.Run("the input is not reordered", func(t *testing.T) {
		in := []settings.Role{dev, admin}
		settings.DecideRole(in)
		assert.Equal(t, "developer", in[0].Name)
	})
}

func TestRolesOfIgnoresCase(t *testing.T) {
	c, err := settings.Load(examplePath)
	require.NoError(t, err)
	var upper []string
	for _, r := range c.Roles {
		upper = append(upper, r.EntraGroup)
	}
	require.NotEmpty(t, upper)
	got := c.RolesOf([]string{"  unrelated", strings.ToUpper(upper[0])})
	require.Len(t, got, 1)
	assert.Equal(t, c.RolesByPrecedence()[indexOf(c, upper[0])].Name, got[0].Name)
}

func indexOf(c *settings.Config, group string) int {
	for i, r := range c.RolesByPrecedence() {
		if r.EntraGroup == group {
			return i
		}
	}
	return -1
}

func TestPolicyArgsFromExample(t *testing.T) {
	c, err := settings.Load(examplePath)
	require.NoError(t, err)
	var oracle settings.Role
	for _, r := range c.Roles {
		if r.Name == "oracle" {
			oracle = r
		}
	}
	require.Equal(t, "oracle", oracle.Name)

	ps := c.PermissionSetPolicyArgs(oracle)
	assert.Equal(t, []string{"admin", "developer", "oracle", "support"}, ps.RoleUsers)
	assert.Equal(t, []string{"AWS-StartPortForwardingSession"}, ps.AllowedDocuments)
	assert.Equal(t, []string{"eu-west-1", "eu-central-1", "us-east-1"}, ps.Regions)
	assert.Equal(t, "workload", ps.InstanceTagKey)
	assert.Equal(t, "oracle", ps.InstanceTagValue)
	assert.Equal(t, "alias/ssm-sessions", ps.KMSKeyID)
	assert.False(t, ps.AllowCommands)
	assert.NotContains(t, ps.ReservedUsers, "admin", "a role's own user is never denied")

	scp := c.GuardrailSCPArgs()
	assert.Equal(t, "ssm-runas-session-preferences", scp.StackSetName)
	assert.ElementsMatch(t, c.Guardrail.ExemptRoleARNs, scp.ExemptRoleARNs)
	assert.Equal(t, ps.Regions, scp.Regions)
	assert.Equal(t, ps.ReservedUsers, scp.ReservedUsers)
	assert.Contains(t, scp.ReservedUsers, "ec2-user")
}

func ExampleConfig_PermissionSetPolicyArgs() {
	c, err := settings.Load(examplePath)
	if err != nil {
		fmt.Println(err)
		return
	}
	args := c.PermissionSetPolicyArgs(c.RolesByPrecedence()[0])
	fmt.Println(args.RoleUsers)
	fmt.Println(args.Regions)
	fmt.Println(c.GuardrailSCPArgs().StackSetName)
	// Output:
	// [admin developer oracle support]
	// [eu-west-1 eu-central-1 us-east-1]
	// ssm-runas-session-preferences
}
