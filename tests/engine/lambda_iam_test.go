package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLambdaAndIAMFakesRefuseLikeTheServices checks what the broker's
// scenarios rely on: a function needs a role Lambda can assume, a URL and a
// permission need the function, role policies need the role, and
// CloudFormation fails a template whose role trusts a missing role.
func TestLambdaAndIAMFakesRefuseLikeTheServices(t *testing.T) {
	w := NewWorld()
	p := configured(t, w, "aws")
	archive, err := resource.NewPathArchive(WriterZip(t, "code"))
	require.NoError(t, err)
	fnInputs := func(role string) map[string]any {
		return map[string]any{"name": "broker", "role": role, "runtime": "provided.al2023", "handler": "bootstrap", "code": archive}
	}

	_, err = create(t, p, typeLambdaFunction, "fn", fnInputs("arn:aws:iam::111111111111:role/broker"))
	assert.ErrorContains(t, err, "cannot be assumed by Lambda")
	_, err = create(t, p, typeIAMRolePolicy, "rp", map[string]any{"role": "broker", "name": "p", "policy": "{}"})
	assert.ErrorContains(t, err, "NoSuchEntity")

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := create(t, p, typeIAMRole, "role", map[string]any{"name": "broker", "assumeRolePolicy": trust})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::111111111111:role/broker", role.Properties["arn"].StringValue())
	_, err = create(t, p, typeIAMRole, "role-again", map[string]any{"name": "broker", "assumeRolePolicy": trust})
	assert.ErrorContains(t, err, "already", "IAM role names are unique in an account")

	_, err = create(t, p, typeLambdaFunctionURL, "url", map[string]any{"functionName": "broker", "authorizationType": "AWS_IAM"})
	assert.ErrorContains(t, err, "Function not found")
	_, err = create(t, p, typeLambdaPermission, "perm", map[string]any{"function": "broker", "action": "lambda:InvokeFunctionUrl", "principal": "*", "statementId": "S"})
	assert.ErrorContains(t, err, "Function not found")

	_, err = create(t, p, typeLambdaFunction, "fn", fnInputs("arn:aws:iam::111111111111:role/broker"))
	require.NoError(t, err)
	url, err := create(t, p, typeLambdaFunctionURL, "url", map[string]any{"functionName": "broker", "authorizationType": "AWS_IAM"})
	require.NoError(t, err)
	assert.Regexp(t, `^https://[a-z0-9]{32}\.lambda-url\.eu-west-1\.on\.aws/$`, url.Properties["functionUrl"].StringValue())
	_, err = create(t, p, typeLambdaPermission, "perm", map[string]any{"function": "broker", "action": "lambda:InvokeFunctionUrl", "principal": "*", "statementId": "S"})
	require.NoError(t, err)

	trustsMissing := `{"Resources":{"SessionRole":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/missing"},"Action":"sts:AssumeRole"}]}}}}}`
	_, err = create(t, p, typeStack, "stack", map[string]any{"name": "s1", "templateBody": trustsMissing})
	assert.ErrorContains(t, err, "Invalid principal in policy")
	trustsBroker := `{"Resources":{"SessionRole":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:role/broker"]},"Action":"sts:AssumeRole"}]}}}}}`
	_, err = create(t, p, typeStack, "stack", map[string]any{"name": "s2", "templateBody": trustsBroker})
	assert.NoError(t, err)
	permissionOnMissing := `{"Resources":{"P":{"Type":"AWS::Lambda::Permission","Properties":{"FunctionName":"other","Action":"lambda:InvokeFunction","Principal":"*"}}}}`
	_, err = create(t, p, typeStack, "stack", map[string]any{"name": "s3", "templateBody": permissionOnMissing})
	assert.ErrorContains(t, err, "Function not found")
}

// TestLogGroupFakeRefusesLikeTheService: a log group name is unique in an
// account and region, and the provider accepts only CloudWatch Logs'
// retentions.
func TestLogGroupFakeRefusesLikeTheService(t *testing.T) {
	w := NewWorld()
	p := configured(t, w, "aws")
	g, err := create(t, p, typeLogGroup, "group", map[string]any{"name": "/aws/lambda/broker", "retentionInDays": 365})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/broker", g.Properties["arn"].StringValue())
	assert.Equal(t, 365.0, g.Properties["retentionInDays"].NumberValue())
	_, err = create(t, p, typeLogGroup, "group-again", map[string]any{"name": "/aws/lambda/broker"})
	assert.ErrorContains(t, err, "already exists", "log group names are unique in an account and region")

	check, err := p.Check(context.Background(), plugin.CheckRequest{URN: urn(typeLogGroup, "g"), RandomSeed: []byte{1}, News: props(map[string]any{"name": "/x", "retentionInDays": 42})})
	require.NoError(t, err)
	require.Len(t, check.Failures, 1, "42 days is not a retention CloudWatch Logs offers")
	assert.Equal(t, resource.PropertyKey("retentionInDays"), check.Failures[0].Property)
}

// TestLambdaFakeMeasuresTheEnvironmentAsLambdaDoes: the variables as one
// JSON object, so quotes inside a value count twice.
func TestLambdaFakeMeasuresTheEnvironmentAsLambdaDoes(t *testing.T) {
	w := NewWorld()
	p := configured(t, w, "aws")
	archive, err := resource.NewPathArchive(WriterZip(t, "code"))
	require.NoError(t, err)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	_, err = create(t, p, typeIAMRole, "role", map[string]any{"name": "broker", "assumeRolePolicy": trust})
	require.NoError(t, err)
	fn := func(name, value string) map[string]any {
		return map[string]any{"name": name, "role": "arn:aws:iam::111111111111:role/broker", "code": archive,
			"environment": map[string]any{"variables": map[string]any{"RULES": value}}}
	}

	plain := strings.Repeat("a", 4000)
	_, err = create(t, p, typeLambdaFunction, "fits", fn("fits", plain))
	assert.NoError(t, err, "4000 plain bytes fit")
	quoted := strings.Repeat(`"a",`, 1000)
	require.Less(t, len("RULES")+len(quoted), 4096, "the key and the raw value alone fit")
	_, err = create(t, p, typeLambdaFunction, "quoted", fn("quoted", quoted))
	assert.ErrorContains(t, err, "exceeded the 4KB limit. String measured: {\"RULES\":\"\\\"a\\\",")
}
