package rules_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

// TestEnvironmentSizeIsWhatLambdaMeasures: Lambda measures the variables
// written as one JSON object (its refusal quotes the "String measured"),
// so the quotes of a JSON value are escaped and count twice, and HTML
// characters are not escaped.
func TestEnvironmentSizeIsWhatLambdaMeasures(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want int
	}{
		{"none", map[string]string{}, len(`{}`)},
		{"plain", map[string]string{"K": "v"}, len(`{"K":"v"}`)},
		{"JSON value", map[string]string{"K": `{"a":"<b>"}`}, len(`{"K":"{\"a\":\"<b>\"}"}`)},
		{"two", map[string]string{"A": "1", "B": "2"}, len(`{"A":"1","B":"2"}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := rules.EnvironmentSize(tc.vars)
			require.NoError(t, err)
			assert.Equal(t, tc.want, n)
		})
	}
}

func TestEnvironmentCarriesTheRules(t *testing.T) {
	r := exampleRules()
	env, err := r.Environment()
	require.NoError(t, err)
	require.Len(t, env, 1)
	var back rules.Rules
	require.NoError(t, json.Unmarshal([]byte(env[rules.EnvVar]), &back))
	assert.Equal(t, r, back, "the function reads back the rules it is given")
	assert.Equal(t, "SSM_RUNAS_BROKER_RULES", rules.EnvVar, "the deployed functions read this name: renaming it breaks them until redeployed")
}

// TestEnvironmentRefusesRulesOverTheLimit: rules whose key and raw JSON
// fit in 4 KB are still refused when the escaped object Lambda measures
// does not; the error names the size and the limit.
func TestEnvironmentRefusesRulesOverTheLimit(t *testing.T) {
	r := exampleRules()
	raw := func() int {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		return len(rules.EnvVar) + len(b)
	}
	for i := 0; raw() < 3900; i++ {
		r.Accounts = append(r.Accounts, fmt.Sprintf("%012d", 100000000000+i))
	}
	require.LessOrEqual(t, raw(), rules.MaxEnvironmentBytes, "the key and the raw value alone fit")

	_, err := r.Environment()
	var tooLarge *rules.EnvironmentTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	b, jerr := json.Marshal(r)
	require.NoError(t, jerr)
	measured, jerr := json.Marshal(map[string]string{rules.EnvVar: string(b)})
	require.NoError(t, jerr)
	assert.Equal(t, len(measured), tooLarge.Size)
	assert.EqualError(t, err, fmt.Sprintf("the broker's rules take %d bytes of Lambda environment, more than its limit of 4096 for all variables: fewer permission sets, accounts or documents", len(measured)))

	r.Accounts = r.Accounts[:len(r.Accounts)/2]
	_, err = r.Environment()
	assert.NoError(t, err, "half as many accounts fit")
}

func ExampleRules_Environment() {
	r := rules.Rules{
		OrganizationID:  "o-a1b2c3d4e5",
		PermissionSets:  map[string]string{"Admin": "admin"},
		SessionRoleName: "ssm-runas-session",
		Regions:         []string{"eu-west-1"},
	}
	env, err := r.Environment()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rules.EnvVar, "=", env[rules.EnvVar])
	// Output:
	// SSM_RUNAS_BROKER_RULES = {"organizationId":"o-a1b2c3d4e5","permissionSets":{"Admin":"admin"},"sessionRoleName":"ssm-runas-session","regions":["eu-west-1"]}
}
