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
	assert.ErrorContains(t, err, "domain controller stack")
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
	answers, err := iamsim.Evaluate(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, answers, len(cases))
	for i, a := range answers {
		require.NotEqual(t, "Error", a.Decision, string(a.Errors))
		assert.Equal(t, cases[i].allowed, a.Decision == iamsim.Allowed, "%s: %s", cases[i].name, a.Decision)
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
