package settings_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const brokerSection = `
broker:
  permissionSets:
    - name: SSM-Admin
      linuxUser: admin
    - name: Data_Eng_Developer
      linuxUser: developer
  documents:
    - AWS-StartPortForwardingSession
`

// withBroker is the per-role example with a broker section appended.
func withBroker(t *testing.T, section string) (*settings.Config, error) {
	t.Helper()
	base, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	return settings.Parse(append(base, []byte(section)...))
}

func TestBrokerDefaultsAndRules(t *testing.T) {
	c, err := withBroker(t, brokerSection)
	require.NoError(t, err)
	b := c.Broker
	assert.Equal(t, "111111111111", b.AccountID)
	assert.Equal(t, "eu-west-1", b.Region)
	assert.Equal(t, settings.DefaultBrokerFunctionName, b.FunctionName)
	assert.Equal(t, settings.DefaultBrokerSessionRoleName, b.SessionRoleName)

	r := c.BrokerRules()
	require.NoError(t, r.Validate())
	data, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"organizationId": "o-a1b2c3d4e5",
		"permissionSets": {"SSM-Admin": "admin", "Data_Eng_Developer": "developer"},
		"sessionRoleName": "ssm-runas-session",
		"documents": ["SSM-SessionManagerRunShell", "AWS-StartPortForwardingSession"],
		"regions": ["eu-west-1", "eu-central-1", "us-east-1"],
		"partition": "aws"
	}`, string(data))
	assert.Equal(t, "arn:aws:lambda:eu-west-1:111111111111:function:ssm-runas-session-broker", c.BrokerFunctionARN())
	assert.Equal(t, "arn:aws:iam::111111111111:role/ssm-runas-session-broker", c.BrokerRoleARN())
	assert.Equal(t, []string{"admin", "developer"}, c.BrokerLinuxUsers())
	assert.True(t, c.BrokerServes("SSM-Admin"))
	assert.False(t, c.BrokerServes("SSM-Support"))

	// The builders accept what the configuration computes.
	_, err = brokerpolicy.SessionRoleTrustPolicy(c.BrokerSessionRoleArgs())
	require.NoError(t, err)
	sr, err := brokerpolicy.SessionRolePolicy(c.BrokerSessionRoleArgs())
	require.NoError(t, err)
	assert.Contains(t, string(sr.JSON()), `"aws:PrincipalTag/SSMSessionRunAs":["admin","developer"]`)
	_, err = brokerpolicy.CallerPolicy(c.BrokerCallerArgs(false))
	require.NoError(t, err)
	assert.Equal(t, brokerpolicy.CallerArgs{BrokerFunctionARN: c.BrokerFunctionARN(), AllowCommands: true, KMSKeyID: "alias/ssm-sessions"}, c.BrokerCallerArgs(true),
		"the people's own plugin generates the data keys of sessionPreferences.kmsKeyId")
	c.SessionPreferences.KMSKeyID = nil
	assert.Empty(t, c.BrokerCallerArgs(false).KMSKeyID, "no key, none to generate data keys with")
	_, err = brokerpolicy.BrokerRolePolicy(c.BrokerRoleArgs())
	require.NoError(t, err)
}

func TestBrokerValidation(t *testing.T) {
	tests := []struct {
		name, section string
		want          []string
	}{
		{"no permission sets", "\nbroker:\n  permissionSets: []\n", []string{"broker.permissionSets: is required"}},
		{"root", "\nbroker:\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: root}\n", []string{`broker.permissionSets[0].linuxUser "root": root is not allowed`}},
		{"stock account", "\nbroker:\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: ec2-user}\n", []string{`broker.permissionSets[0].linuxUser "ec2-user": is a reserved or stock account`}},
		{"ssm-user", "\nbroker:\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: ssm-user}\n", []string{`broker.permissionSets[0].linuxUser "ssm-user": is a reserved or stock account`}},
		{"not a role user", "\nbroker:\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: alice}\n", []string{`broker.permissionSets[0].linuxUser "alice": must be one of the roles' linuxUser (admin, developer, oracle, support)`}},
		{"bad name", "\nbroker:\n  permissionSets:\n    - {name: \"Admin Team\", linuxUser: admin}\n", []string{`broker.permissionSets[0].name "Admin Team": must match`}},
		{"duplicate", "\nbroker:\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: admin}\n    - {name: SSM-Admin, linuxUser: developer}\n", []string{`broker.permissionSets[1].name "SSM-Admin": is also broker.permissionSets[0]`}},
		{"member account", "\nbroker:\n  accountId: \"222222222222\"\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: admin}\n", []string{`broker.accountId "222222222222": must be the management account`}},
		{"document not allowed", "\nbroker:\n  documents: [AWS-StartSSHSession]\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: admin}\n", []string{`broker.documents[0] "AWS-StartSSHSession": must be listed in identityCenter.allowedSessionDocuments`}},
		{"default document", "\nbroker:\n  documents: [SSM-SessionManagerRunShell]\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: admin}\n", []string{`broker.documents[0] "SSM-SessionManagerRunShell": is always allowed`}},
		{"names", "\nbroker:\n  functionName: \"a b\"\n  sessionRoleName: AWSReservedSSO_x\n  region: mars\n  accounts: [\"12\"]\n  permissionSets:\n    - {name: SSM-Admin, linuxUser: admin}\n",
			[]string{`broker.functionName "a b"`, `broker.sessionRoleName "AWSReservedSSO_x"`, `broker.region "mars"`, `broker.accounts[0] "12"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := withBroker(t, tc.section)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// brokerWithPermissionSets is a broker section serving n permission sets.
func brokerWithPermissionSets(n int) string {
	var b strings.Builder
	b.WriteString("\nbroker:\n  permissionSets:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - {name: Permission-Set-For-Team-%03d, linuxUser: developer}\n", i)
	}
	return b.String()
}

// TestBrokerRulesMustFitLambdasEnvironment: the broker function gets its
// rules in its environment, which Lambda limits to 4 KB for all
// variables, measured as one JSON object; validation refuses a broker
// section whose rules do not fit, naming the size and the limit, instead
// of the deployment failing at the function.
func TestBrokerRulesMustFitLambdasEnvironment(t *testing.T) {
	c, err := withBroker(t, brokerWithPermissionSets(40))
	require.NoError(t, err, "40 permission sets fit")
	env, err := c.BrokerRules().Environment()
	require.NoError(t, err)
	size, err := rules.EnvironmentSize(env)
	require.NoError(t, err)
	assert.Less(t, size, rules.MaxEnvironmentBytes)

	_, err = withBroker(t, brokerWithPermissionSets(100))
	require.Error(t, err)
	assert.Regexp(t, `broker\.permissionSets: the broker's rules take \d{4} bytes of Lambda environment, more than its limit of 4096 for all variables`, err.Error())

	// The same size check the deployment applies refuses the same rules.
	c.Broker.PermissionSets = nil
	for i := range 100 {
		c.Broker.PermissionSets = append(c.Broker.PermissionSets, settings.BrokerPermissionSet{Name: fmt.Sprintf("Permission-Set-For-Team-%03d", i), LinuxUser: "developer"})
	}
	_, err = c.BrokerRules().Environment()
	var tooLarge *rules.EnvironmentTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Contains(t, err.Error(), fmt.Sprintf("take %d bytes", tooLarge.Size))
}

func TestBrokerOnlyWithPerRole(t *testing.T) {
	base, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	cfg := strings.Replace(string(base), "model: per-role", "model: per-user", 1) + brokerSection
	_, err = settings.Parse([]byte(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broker: is only read by the per-role model")
}

func TestExplainBroker(t *testing.T) {
	c, err := withBroker(t, brokerSection)
	require.NoError(t, err)
	got := c.ExplainBroker("alice@example.com", "222222222222", "SSM-Support")
	assert.Equal(t, []settings.BrokerOutcome{
		{PermissionSet: "SSM-Admin", LinuxUser: "admin"},
		{PermissionSet: "Data_Eng_Developer", LinuxUser: "developer"},
		{PermissionSet: "SSM-Support", Refusal: `permission set "SSM-Support" is not configured for the broker`},
	}, got)
}

func ExampleConfig_ExplainBroker() {
	base, _ := os.ReadFile(examplePath)
	c, err := settings.Parse(append(base, []byte(brokerSection)...))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range c.ExplainBroker("alice@example.com", "222222222222") {
		fmt.Println(o.PermissionSet, "->", o.LinuxUser)
	}
	// Output:
	// SSM-Admin -> admin
	// Data_Eng_Developer -> developer
}
