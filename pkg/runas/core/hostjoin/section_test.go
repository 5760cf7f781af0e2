package hostjoin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func perUserExample(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	return c
}

// TestMemberTemplate builds the member template of the per-user example the
// way `runas stackset template` and the stacks do (member.Template), compares it with the
// golden file and runs cfn-lint on it.
func TestMemberTemplate(t *testing.T) {
	c := perUserExample(t)
	tpl, err := member.Template(c)
	require.NoError(t, err)
	golden.JSON(t, "member-template.json", tpl.JSON())
	testtools.CfnLint(t, tpl.JSON())

	require.Contains(t, tpl.Resources, hostjoin.LogicalDocument)
	require.Contains(t, tpl.Resources, hostjoin.LogicalAssociation)
	require.Contains(t, tpl.Resources, hostjoin.LogicalPolicy)
	assert.Contains(t, tpl.Outputs, hostjoin.OutputPolicyARN)
	assert.NotContains(t, tpl.Resources, cfn.LogicalHostAccountsDocument, "per-user hosts carry no role accounts")

	// The document runs exactly the script FromSettings renders.
	d, err := hostjoin.ExistingDomain(c.PerUser.Domain)
	require.NoError(t, err)
	script, err := hostjoin.Script(hostjoin.FromSettings(c.PerUser, d, ""))
	require.NoError(t, err)
	doc := tpl.Resources[hostjoin.LogicalDocument].Properties.(cfn.DocumentProperties)
	step := doc.Content.MainSteps[0]
	assert.Equal(t, string(script), strings.Join(step.Inputs.RunCommand, "\n")+"\n")
	assert.Equal(t, "#!/bin/bash", step.Inputs.RunCommand[0], "the agent runs the file with sh -c; the interpreter line makes it bash")
	assert.Equal(t, "900", step.Inputs.TimeoutSeconds)
	assert.NotContains(t, string(tpl.JSON()), "awsSeamlessDomainPassword\":", "no credential in the template")

	assoc := tpl.Resources[hostjoin.LogicalAssociation].Properties.(cfn.AssociationProperties)
	assert.Equal(t, []cfn.AssociationTarget{{Key: "tag:ssm-runas:domain-join", Values: []string{"true"}}}, assoc.Targets)
	assert.Equal(t, "rate(30 minutes)", assoc.ScheduleExpression)
}

func TestSecretReadPolicy(t *testing.T) {
	doc, err := hostjoin.SecretReadPolicy(secretARN)
	require.NoError(t, err)
	assert.JSONEq(t, `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "ReadDomainJoinSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "`+secretARN+`"},
	    {"Sid": "DecryptDomainJoinSecret", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
	     "Condition": {"StringEquals": {
	       "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
	       "kms:EncryptionContext:SecretARN": "`+secretARN+`"}}}
	  ]}`, string(doc.JSON()))

	_, err = hostjoin.SecretReadPolicy("arn:aws:s3:::bucket")
	assert.ErrorContains(t, err, "must be a Secrets Manager secret ARN")
}

func TestSectionOnlyForPerUser(t *testing.T) {
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	s, err := hostjoin.SectionFor(c)
	require.NoError(t, err)
	assert.Nil(t, s)
	tpl, err := member.Template(c)
	require.NoError(t, err)
	assert.NotContains(t, tpl.Resources, hostjoin.LogicalDocument)

	dc := perUserExample(t)
	dc.PerUser.Domain = settings.ADDomain{FromDomainControllerStack: true}
	_, err = hostjoin.SectionFor(dc)
	assert.ErrorContains(t, err, "the domainController section is required")
}

func domainControllerExample(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	return c
}

// TestMemberTemplateDomainController builds the member template of the
// domain-controller example: one constant text whose join takes the
// domain controller's join secret and DNS servers as parameters (their
// values exist only once the domain controller does). It compares it with
// the golden file, runs cfn-lint on it, and checks that the document runs
// exactly the spec's script once CloudFormation has put the parameters'
// values in.
func TestMemberTemplateDomainController(t *testing.T) {
	c := domainControllerExample(t)
	tpl, err := member.Template(c)
	require.NoError(t, err)
	golden.JSON(t, "member-template.json", tpl.JSON())
	testtools.CfnLint(t, tpl.JSON())

	require.Contains(t, tpl.Parameters, hostjoin.ParamJoinSecretARN)
	require.Contains(t, tpl.Parameters, hostjoin.ParamDNSServers)
	text := string(tpl.JSON())
	assert.NotContains(t, text, ":000000000000:", "no placeholder account left")
	assert.NotContains(t, text, "192.0.2.53", "no placeholder DNS server left")

	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssm-runas/domain-controller-join-Ab12Cd"
	const dns = "10.42.0.10"
	values := map[string]string{hostjoin.ParamJoinSecretARN: arn, hostjoin.ParamDNSServers: dns}
	for name, value := range values {
		assert.Regexp(t, tpl.Parameters[name].AllowedPattern, value, "%s accepts the domain controller's value", name)
	}
	assert.NotRegexp(t, tpl.Parameters[hostjoin.ParamJoinSecretARN].AllowedPattern, strings.Replace(arn, "eu-west-1", "us-east-1", 1), "a secret in another region than the script reads")
	assert.NotRegexp(t, tpl.Parameters[hostjoin.ParamJoinSecretARN].AllowedPattern, arn+"'; reboot; '", "a quote would end the script's string")
	assert.NotRegexp(t, tpl.Parameters[hostjoin.ParamDNSServers].AllowedPattern, dns+"; reboot")

	// Resolve the template as CloudFormation would, and compare with the
	// script and the policy rendered with the values themselves.
	var resolved struct {
		Resources map[string]struct {
			Properties json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(resolveParameters(t, tpl.JSON(), values), &resolved))
	var doc cfn.DocumentProperties
	require.NoError(t, json.Unmarshal(resolved.Resources[hostjoin.LogicalDocument].Properties, &doc))
	want, err := hostjoin.Script(hostjoin.DomainControllerSpec(c, []string{dns}, arn))
	require.NoError(t, err)
	assert.Equal(t, string(want), strings.Join(doc.Content.MainSteps[0].Inputs.RunCommand, "\n")+"\n")
	var pol struct{ PolicyDocument json.RawMessage }
	require.NoError(t, json.Unmarshal(resolved.Resources[hostjoin.LogicalPolicy].Properties, &pol))
	wantPolicy, err := hostjoin.SecretReadPolicy(arn)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantPolicy.JSON()), string(pol.PolicyDocument))
}

// resolveParameters evaluates the Ref and Fn::Join of parameters in a
// template's JSON the way CloudFormation does for these two functions, and
// fails on a Ref to a parameter it has no value for.
func resolveParameters(t *testing.T, template []byte, values map[string]string) []byte {
	t.Helper()
	var tree any
	require.NoError(t, json.Unmarshal(template, &tree))
	var resolve func(v any) any
	resolve = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
				if value, ok := values[ref]; ok {
					return value
				}
				return v // a resource or pseudo parameter
			}
			if join, ok := v["Fn::Join"].([]any); ok && len(v) == 1 {
				require.Len(t, join, 2)
				var b strings.Builder
				for _, part := range join[1].([]any) {
					s, ok := resolve(part).(string)
					require.True(t, ok, "Fn::Join of %v", part)
					b.WriteString(s)
				}
				return b.String()
			}
			for k, e := range v {
				v[k] = resolve(e)
			}
			return v
		case []any:
			for i, e := range v {
				v[i] = resolve(e)
			}
			return v
		}
		return v
	}
	out, err := json.Marshal(resolve(tree))
	require.NoError(t, err)
	return out
}

func TestSectionAddToRefuses(t *testing.T) {
	good, err := hostjoin.SectionFor(perUserExample(t))
	require.NoError(t, err)

	taken := cfn.Template{Resources: map[string]cfn.Resource{hostjoin.LogicalAssociation: {Type: "AWS::SSM::Association"}}}
	assert.ErrorContains(t, good.AddTo(&taken), "logical id DomainJoinAssociation is already taken")
	assert.Len(t, taken.Resources, 1, "nothing half written")

	for name, tc := range map[string]struct {
		mutate func(*hostjoin.Section)
		want   string
	}{
		"no script":     {func(s *hostjoin.Section) { s.Script = nil }, "needs a script"},
		"no shebang":    {func(s *hostjoin.Section) { s.Script = []byte("echo hi\n") }, "must start with #!/bin/bash"},
		"ssm parameter": {func(s *hostjoin.Section) { s.Script = []byte("#!/bin/bash\necho {{ x }}\n") }, "contains {{"},
		"too large":     {func(s *hostjoin.Section) { s.Script = []byte("#!/bin/bash\n" + strings.Repeat("#\n", 40000)) }, "at most 65536"},
		"bad secret":    {func(s *hostjoin.Section) { s.SecretARN = "secret" }, "must be a Secrets Manager secret ARN"},
		"no target tag": {func(s *hostjoin.Section) { s.TargetTagKey = "" }, "target tag"},
	} {
		t.Run(name, func(t *testing.T) {
			s := *good
			tc.mutate(&s)
			tpl := cfn.Template{Resources: map[string]cfn.Resource{}}
			assert.ErrorContains(t, s.AddTo(&tpl), tc.want)
			assert.Empty(t, tpl.Resources, "nothing half written")
		})
	}
}

// TestSecretReadPolicyDecisions evaluates the managed policy with the IAM
// policy evaluator: the hosts read the join secret and nothing else. The
// kms:Decrypt statement is checked by its text in TestSecretReadPolicy: the
// evaluator ignores kms:EncryptionContext:<key> context keys (it lists them
// as ignoredContextKeys), so it would deny every decrypt whatever the
// policy says.
func TestSecretReadPolicyDecisions(t *testing.T) {
	require.NoError(t, iamsim.Check())
	doc, err := hostjoin.SecretReadPolicy(secretARN)
	require.NoError(t, err)
	const account = "222222222222"
	principal := "arn:aws:sts::" + account + ":assumed-role/web-host/i-0123456789abcdef0"
	other := "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-password-Xy12Zw"
	cases := []struct {
		name, action, resource string
		context                map[string]any
		allowed                bool
	}{
		{"read the join secret", "secretsmanager:GetSecretValue", secretARN, nil, true},
		{"read another secret", "secretsmanager:GetSecretValue", other, nil, false},
		{"list secrets", "secretsmanager:ListSecrets", "*", nil, false},
	}
	var reqs []iamsim.Request
	for i, tc := range cases {
		ctx := map[string]any{"aws:PrincipalAccount": account, "aws:RequestedRegion": "eu-west-1"}
		for k, v := range tc.context {
			ctx[k] = v
		}
		resourceAccount := account
		if parts := strings.Split(tc.resource, ":"); len(parts) > 4 && len(parts[4]) == 12 {
			resourceAccount = parts[4]
		}
		reqs = append(reqs, iamsim.Request{
			Name:             fmt.Sprint(i),
			IdentityPolicies: []iamsim.Policy{{Name: "domain-join", Policy: doc.JSON()}},
			Principal:        principal, Action: tc.action, Resource: tc.resource, ResourceAccount: resourceAccount, Context: ctx,
			// The secret's resource policy allows the hosts' account, as
			// the runbook asks for a secret in another account.
			ResourcePolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"*","Resource":"*"}]}`),
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	allowed, err := iamsim.Decide(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, allowed, len(cases))
	for i, ok := range allowed {
		assert.Equal(t, cases[i].allowed, ok, cases[i].name)
	}
}

func ExampleSectionFor() {
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	if err != nil {
		panic(err)
	}
	s, err := hostjoin.SectionFor(c)
	if err != nil {
		panic(err)
	}
	tpl := cfn.Template{Resources: map[string]cfn.Resource{}}
	if err := s.AddTo(&tpl); err != nil {
		panic(err)
	}
	for _, id := range []string{hostjoin.LogicalDocument, hostjoin.LogicalAssociation, hostjoin.LogicalPolicy} {
		fmt.Println(id, tpl.Resources[id].Type)
	}
	// Output:
	// DomainJoinDocument AWS::SSM::Document
	// DomainJoinAssociation AWS::SSM::Association
	// DomainJoinSecretReadPolicy AWS::IAM::ManagedPolicy
}
