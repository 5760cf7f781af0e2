package runas_test

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

	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

const (
	brokerOrg      = "o-a1b2c3d4e5"
	brokerFunction = "ssm-runas-session-broker"
	brokerARN      = "arn:aws:lambda:eu-west-1:111111111111:function:" + brokerFunction
)

func brokerArgs(t *testing.T) *runas.SessionBrokerArgs {
	t.Helper()
	p := filepath.Join(t.TempDir(), "broker.zip")
	require.NoError(t, os.WriteFile(p, []byte("zip"), 0o644))
	return &runas.SessionBrokerArgs{
		FunctionName: brokerFunction,
		Zip:          artifact.Zip{Path: p, SHA256: strings.Repeat("ab", 32)},
		Rules: rules.Rules{
			OrganizationID:  brokerOrg,
			PermissionSets:  map[string]string{"SSM-Admin": "admin"},
			SessionRoleName: "ssm-runas-session",
			Regions:         []string{"eu-west-1"},
		},
		Policies: brokerpolicy.BrokerRoleArgs{OrganizationID: brokerOrg, SessionRoleName: "ssm-runas-session", FunctionARN: brokerARN},
	}
}

func runBroker(t *testing.T, args *runas.SessionBrokerArgs) ([]pulumimock.Row, *runas.SessionBroker, error) {
	t.Helper()
	var b *runas.SessionBroker
	rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		var err error
		b, err = runas.NewSessionBroker(ctx, "session-broker", args, pulumi.Provider(p))
		return err
	}))
	return rows, b, err
}

func TestSessionBrokerDeploysRoleFunctionAndURL(t *testing.T) {
	args := brokerArgs(t)
	rows, b, err := runBroker(t, args)
	require.NoError(t, err)
	require.NotNil(t, b)
	assert.Len(t, b.Ready(), 1, "the session roles wait for the broker's role")

	find(t, rows, runas.SessionBrokerType, "session-broker")

	role := find(t, rows, "aws:iam/role:Role", "session-broker-role")
	assert.Equal(t, "session-broker", role.Parent)
	assert.Equal(t, brokerFunction, role.Inputs["name"], "the session roles trust the role by this name")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		role.Inputs["assumeRolePolicy"].(string))

	inline := find(t, rows, "aws:iam/rolePolicy:RolePolicy", "session-broker-assume-session-roles")
	want, err := brokerpolicy.BrokerRolePolicy(args.Policies)
	require.NoError(t, err)
	assert.JSONEq(t, string(want.JSON()), inline.Inputs["policy"].(string))
	assert.Equal(t, brokerFunction, inline.Inputs["role"])

	logs := find(t, rows, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "session-broker-logs")
	assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", logs.Inputs["policyArn"])

	fn := find(t, rows, "aws:lambda/function:Function", "session-broker-function")
	assert.Equal(t, "aws-eu-west-1", fn.Provider, "children use the caller's provider, through the component")
	assert.Equal(t, brokerFunction, fn.Inputs["name"])
	assert.Equal(t, "provided.al2023", fn.Inputs["runtime"])
	assert.Equal(t, "bootstrap", fn.Inputs["handler"])
	assert.Equal(t, []any{"arm64"}, fn.Inputs["architectures"])
	assert.Equal(t, "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", fn.Inputs["sourceCodeHash"], "base64 of the digest, as Lambda reports CodeSha256")
	env := fn.Inputs["environment"].(map[string]any)["variables"].(map[string]any)
	var got rules.Rules
	assert.Len(t, env, 1, "the rules are the function's only variable")
	require.NoError(t, json.Unmarshal([]byte(env[rules.EnvVar].(string)), &got))
	assert.Equal(t, args.Rules, got, "the function reads back the rules it was given")
	require.NotNil(t, fn.Options)
	assert.ElementsMatch(t, []string{"session-broker-assume-session-roles", "session-broker-logs", "session-broker-role", "session-broker-log-group"}, fn.Options.DependsOn,
		"the function is created once its role may act and its log group exists (else Lambda creates the group, without retention)")

	group := find(t, rows, "aws:cloudwatch/logGroup:LogGroup", "session-broker-log-group")
	assert.Equal(t, "session-broker", group.Parent)
	assert.Equal(t, "/aws/lambda/"+brokerFunction, group.Inputs["name"], "the group Lambda writes to when the function names none")
	assert.EqualValues(t, 365, group.Inputs["retentionInDays"], "the decision lines are kept a year, as the writer's")
	assert.Nil(t, fn.Inputs["loggingConfig"], "the function writes to its default group")

	url := find(t, rows, "aws:lambda/functionUrl:FunctionUrl", "session-broker-url")
	assert.Equal(t, "AWS_IAM", url.Inputs["authorizationType"])
	assert.Equal(t, brokerFunction, url.Inputs["functionName"])
}

// TestSessionBrokerDeploysTheFunctionURLPolicy rebuilds the function's
// resource policy from what the component registers (the permission and
// the CloudFormation stack's AWS::Lambda::Permission) and requires the
// evaluated document, brokerpolicy.FunctionURLPolicy, statement for
// statement.
func TestSessionBrokerDeploysTheFunctionURLPolicy(t *testing.T) {
	args := brokerArgs(t)
	rows, _, err := runBroker(t, args)
	require.NoError(t, err)
	want, err := brokerpolicy.FunctionURLPolicy(args.Policies)
	require.NoError(t, err)

	var deployed []policy.Statement
	statement := func(sid, action, org, authType string, viaURL bool) policy.Statement {
		c := policy.Condition{"StringEquals": {brokerpolicy.PrincipalOrgIDKey: {org}}}
		if authType != "" {
			c["StringEquals"][brokerpolicy.FunctionURLAuthType] = policy.Strings{authType}
		}
		if viaURL {
			c["Bool"] = map[string]policy.Strings{brokerpolicy.InvokedViaFunctionURL: {"true"}}
		}
		return policy.Statement{Sid: sid, Effect: policy.Allow, Principal: &policy.Principal{Everyone: true},
			Action: policy.Strings{action}, Resource: policy.Values{brokerARN}, Condition: c}
	}
	perms := pulumimock.OfType(rows, "aws:lambda/permission:Permission")
	require.Len(t, perms, 1)
	p := perms[0]
	assert.Equal(t, "session-broker-organization-invokes-url", p.Name)
	assert.Equal(t, "*", p.Inputs["principal"])
	assert.Equal(t, brokerFunction, p.Inputs["function"])
	auth, _ := p.Inputs["functionUrlAuthType"].(string)
	deployed = append(deployed, statement(p.Inputs["statementId"].(string), p.Inputs["action"].(string), p.Inputs["principalOrgId"].(string), auth, false))

	stack := find(t, rows, "aws:cloudformation/stack:Stack", "session-broker-url-invoke")
	assert.Equal(t, "ssm-runas-session-broker-url-invoke", stack.Inputs["name"])
	require.NotNil(t, stack.Options)
	assert.Equal(t, []string{"session-broker-function"}, stack.Options.DependsOn, "the permission needs the function")
	body := []byte(stack.Inputs["templateBody"].(string))
	testtools.CfnLint(t, body)
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Action, FunctionName, Principal, PrincipalOrgID, FunctionUrlAuthType string
				InvokedViaFunctionUrl                                                bool
			}
		}
	}
	require.NoError(t, json.Unmarshal(body, &tpl))
	require.Len(t, tpl.Resources, 1)
	for sid, r := range tpl.Resources {
		assert.Equal(t, "AWS::Lambda::Permission", r.Type)
		assert.Equal(t, brokerFunction, r.Properties.FunctionName)
		assert.Equal(t, "*", r.Properties.Principal)
		deployed = append(deployed, statement(sid, r.Properties.Action, r.Properties.PrincipalOrgID, r.Properties.FunctionUrlAuthType, r.Properties.InvokedViaFunctionUrl))
	}
	assert.JSONEq(t, string(want.JSON()), string(policy.Document{Version: policy.Version, Statement: deployed}.JSON()))
}

func TestSessionBrokerNamesStayWhenTheFunctionIsRenamed(t *testing.T) {
	names := func(fn string) []string {
		args := brokerArgs(t)
		args.FunctionName = fn
		rows, _, err := runBroker(t, args)
		require.NoError(t, err)
		var out []string
		for _, r := range rows {
			out = append(out, r.Type+"::"+r.Name)
		}
		return out
	}
	assert.ElementsMatch(t, names("ssm-runas-session-broker"), names("broker_2"),
		"resources are named after the component, so a rename updates or replaces only what the cloud requires")
	assert.Equal(t, "broker-2-url-invoke", runas.BrokerURLStackName("broker_2"))
	assert.Equal(t, "fn-2broker-url-invoke", runas.BrokerURLStackName("2broker"))
}

func TestSessionBrokerRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(a *runas.SessionBrokerArgs)
		want   string
	}{
		{"no function name", func(a *runas.SessionBrokerArgs) { a.FunctionName = "" }, "FunctionName is required"},
		{"no zip", func(a *runas.SessionBrokerArgs) { a.Zip = artifact.Zip{} }, "Zip is required"},
		{"invalid rules", func(a *runas.SessionBrokerArgs) { a.Rules.OrganizationID = "" }, "organizationId"},
		{"no organization for the policies", func(a *runas.SessionBrokerArgs) { a.Policies.OrganizationID = "" }, "organization id"},
		{"rules too large for the environment", func(a *runas.SessionBrokerArgs) {
			for i := range 300 {
				a.Rules.Accounts = append(a.Rules.Accounts, strings.Repeat("1", 11)+string(rune('0'+i%10)))
			}
		}, "more than its limit of 4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := brokerArgs(t)
			tc.change(args)
			rows, _, err := runBroker(t, args)
			assert.ErrorContains(t, err, tc.want)
			assert.Empty(t, pulumimock.OfType(rows, runas.SessionBrokerType), "nothing is registered for bad arguments")
		})
	}
	_, _, err := runBroker(t, nil)
	assert.ErrorContains(t, err, "args are required")
}

// TestSessionBrokerRefusesRulesLambdaWouldRefuse: the component applies
// the rules' own measure of the environment (rules.Rules.Environment)
// before registering anything; rules that fit when only the key and the
// raw value are counted can still be over Lambda's limit.
func TestSessionBrokerRefusesRulesLambdaWouldRefuse(t *testing.T) {
	args := brokerArgs(t)
	rawSize := func() int {
		raw, err := json.Marshal(args.Rules)
		require.NoError(t, err)
		return len(rules.EnvVar) + len(raw)
	}
	for i := 0; rawSize() < 3900; i++ {
		args.Rules.Accounts = append(args.Rules.Accounts, fmt.Sprintf("%012d", 100000000000+i))
	}
	require.LessOrEqual(t, rawSize(), rules.MaxEnvironmentBytes, "the key and the raw value alone fit")

	rows, _, err := runBroker(t, args)
	var tooLarge *rules.EnvironmentTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Greater(t, tooLarge.Size, rules.MaxEnvironmentBytes)
	assert.ErrorContains(t, err, "NewSessionBroker: the broker's rules take")
	assert.Empty(t, pulumimock.OfType(rows, runas.SessionBrokerType), "nothing is registered")

	args.Rules.Accounts = args.Rules.Accounts[:len(args.Rules.Accounts)/2]
	_, _, err = runBroker(t, args)
	assert.NoError(t, err, "half as many accounts fit")
}
