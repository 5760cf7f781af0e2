package domaincontroller_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	domaincontroller "github.com/ssm-runas/ssm-runas/stacks/domain-controller"
)

// The example's Identity Center group, and the ARN the mock gives the
// domain controller's join secret.
const (
	linuxUsers    = "SG-AWS-SSM-Linux-Users"
	joinSecretARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-controller-join-AbCdEf"
	dcAddress     = "10.42.0.10"
)

// recorder answers like pulumimock.Recorder, except that a Secrets Manager
// secret gets an ARN of the shape AWS gives it in the provider's region
// (region, account, name and a six-character suffix): the join policy and
// the member template's parameter pattern read it. It also keeps every
// generated secret value (the secret versions' secretString, which the
// Recorder's rows show as "[secret]") and every registration's inputs with
// secrets revealed, so a test can look for those values everywhere else.
type recorder struct {
	*pulumimock.Recorder

	mu      sync.Mutex
	secrets []string
	inputs  map[string]string // "type name" -> inputs, secrets revealed
	plain   []string          // secret versions whose value was not marked secret
}

func (m *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs, err := m.Recorder.NewResource(args)
	if err != nil {
		return id, outs, err
	}
	if args.TypeToken == "aws:secretsmanager/secret:Secret" {
		outs["arn"] = resource.NewStringProperty("arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/" + args.Name + "-AbCdEf")
	}
	raw, jerr := json.Marshal(reveal(resource.NewObjectProperty(args.Inputs)))
	if jerr != nil {
		return "", nil, jerr
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inputs == nil {
		m.inputs = map[string]string{}
	}
	m.inputs[args.TypeToken+" "+args.Name] = string(raw)
	if args.TypeToken == "aws:secretsmanager/secretVersion:SecretVersion" {
		v := args.Inputs["secretString"]
		if !v.IsSecret() {
			m.plain = append(m.plain, args.Name)
		} else {
			m.secrets = append(m.secrets, v.SecretValue().Element.StringValue())
		}
	}
	return id, outs, nil
}

// reveal is v as plain values, with secrets replaced by what they hold.
func reveal(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return reveal(v.SecretValue().Element)
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = reveal(e)
		}
		return out
	case v.IsArray():
		var out []any
		for _, e := range v.ArrayValue() {
			out = append(out, reveal(e))
		}
		return out
	case v.IsComputed(), v.IsOutput():
		return "[unknown]"
	}
	return v.V
}

// passwords are the generated passwords: the administrator's secret is
// the password, the join secret JSON that holds one.
func (m *recorder) passwords(t *testing.T) []string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, s := range m.secrets {
		var join map[string]string
		if json.Unmarshal([]byte(s), &join) == nil {
			require.NotEmpty(t, join[settings.JoinSecretPasswordKey], "the join secret's password")
			out = append(out, join[settings.JoinSecretPasswordKey])
			continue
		}
		out = append(out, s)
	}
	return out
}

func example(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	return c
}

func inputs(t *testing.T) deploy.Inputs {
	t.Helper()
	zip := filepath.Join(t.TempDir(), "writer.zip")
	require.NoError(t, os.WriteFile(zip, []byte("zip"), 0o644))
	return deploy.Inputs{Writer: artifact.Zip{Path: zip, SHA256: strings.Repeat("0", 64)}}
}

// run deploys c with the example's group provisioned, and returns the
// recorder and the outputs the program adds, resolved.
func run(t *testing.T, c *settings.Config) (*recorder, map[string]any) {
	t.Helper()
	rec := &recorder{Recorder: &pulumimock.Recorder{IdentityStoreGroups: []string{linuxUsers}}}
	var mu sync.Mutex
	var outputs map[string]any
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		out, err := domaincontroller.Deploy(ctx, c, inputs(t))
		if err != nil {
			return err
		}
		out.ToMapOutput().ApplyT(func(m map[string]any) map[string]any {
			mu.Lock()
			defer mu.Unlock()
			outputs = m
			return m
		})
		return nil
	}, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, rec))
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.NotNil(t, outputs, "the program's outputs resolved")
	return rec, outputs
}

func byName(rows []pulumimock.Row) map[string]pulumimock.Row {
	out := map[string]pulumimock.Row{}
	for _, r := range rows {
		out[r.Type+" "+r.Name] = r
	}
	return out
}

// TestProgramExample records the whole self-contained deployment of the
// example, compares it with the golden plan, and checks the domain
// controller and its demo host.
func TestProgramExample(t *testing.T) {
	rec, _ := run(t, example(t))
	rows := rec.Rows()
	out, err := json.MarshalIndent(rows, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "rows.json", out)

	all := byName(rows)
	dc := all["aws:ec2/instance:Instance domain-controller"]
	require.NotNil(t, dc.Inputs, "the domain controller instance")
	assert.Equal(t, "aws-eu-west-1", dc.Provider)
	userData := dc.Inputs["userData"].(string)
	assert.Contains(t, userData, "$StatusParameter = '/runas/ssm-runas/plan/domain-controller/status'")
	assert.Contains(t, userData, "Add-SeedUser -Name 'Alice' -Path 'OU=People,DC=corp,DC=example,DC=com'")
	assert.Contains(t, userData, "$JoinOU = 'OU=LinuxHosts,OU=Servers,DC=corp,DC=example,DC=com'")

	host := all["aws:ec2/instance:Instance demo-host"]
	require.NotNil(t, host.Inputs, "the demo host")
	assert.Equal(t, "true", host.Inputs["tags"].(map[string]any)["ssm-runas:domain-join"], "tagged for the join association")
	assert.Contains(t, host.Options.DependsOn, "domain-controller", "the demo host waits for the domain controller's instance")
	joinPolicy := all["aws:iam/rolePolicy:RolePolicy demo-host-join-secret"].Inputs["policy"].(string)
	assert.Contains(t, joinPolicy, `"Resource":"`+joinSecretARN+`"`)

	assoc := all["aws:ssm/association:Association demo-join"]
	require.NotNil(t, assoc.Inputs, "the demo host's join association")
	assert.Equal(t, []any{map[string]any{"key": "tag:ssm-runas:domain-join", "values": []any{"true"}}}, assoc.Inputs["targets"])
	assert.Equal(t, "rate(30 minutes)", assoc.Inputs["scheduleExpression"])
	var content struct {
		MainSteps []struct {
			Inputs struct {
				RunCommand []string `json:"runCommand"`
			} `json:"inputs"`
		} `json:"mainSteps"`
	}
	doc := all["aws:ssm/document:Document demo-join"]
	require.NoError(t, json.Unmarshal([]byte(doc.Inputs["content"].(string)), &content))
	script := strings.Join(content.MainSteps[0].Inputs.RunCommand, "\n") + "\n"
	want, err := hostjoin.Script(hostjoin.DomainControllerSpec(example(t), []string{dcAddress}, joinSecretARN))
	require.NoError(t, err)
	assert.Equal(t, string(want), script, "the demo host runs the domain controller spec's join with the stack's values")
	assert.Contains(t, script, "OU=LinuxHosts,OU=Servers,DC=corp,DC=example,DC=com", "joins into the delegated OU")
}

// TestProgramComposesPerUser checks that the domain controller model
// deploys the whole per-user model on its domain: the organization layer,
// the ABAC attribute and the permission sets.
func TestProgramComposesPerUser(t *testing.T) {
	rec, _ := run(t, example(t))
	rows := rec.Rows()
	assert.Len(t, pulumimock.OfType(rows, "aws:cloudformation/stackSet:StackSet"), 1, "the member template as a StackSet")
	assert.Len(t, pulumimock.OfType(rows, "aws:cloudformation/stackSetInstance:StackSetInstance"), 1, "one target, one region")
	assert.Len(t, pulumimock.OfType(rows, "aws:cloudformation/stack:Stack"), 1, "the management account's stack")
	assert.Len(t, pulumimock.OfType(rows, "aws:organizations/policy:Policy"), 1, "the guardrail SCP")
	assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes"), 1, "ABAC: SSMSessionRunAs")
	ps := pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet")
	require.Len(t, ps, 1)
	assert.Equal(t, "SSM-PerUser", ps[0].Inputs["name"])
	assignments := pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment")
	require.Len(t, assignments, 1)
	assert.Equal(t, "group-"+linuxUsers, assignments[0].Inputs["principalId"])
	providers := pulumimock.OfType(rows, "pulumi:providers:aws")
	require.Len(t, providers, 1, "one provider for the one region (the example's management account needs no role of its own)")
	all := byName(rows)
	for _, name := range []string{"aws:ec2/instance:Instance domain-controller", "aws:cloudformation/stackSet:StackSet session-preferences-stackset"} {
		assert.Equal(t, providers[0].Name, all[name].Provider, "%s: the domain controller and the per-user layers share the region's provider", name)
	}
}

// TestProgramMemberTemplateGetsTheDomainController checks that the member
// template is the constant text `runas stackset template` prints, and that
// the StackSet and the management account's stack give its join the
// domain controller's join secret and DNS server as parameters.
func TestProgramMemberTemplateGetsTheDomainController(t *testing.T) {
	c := example(t)
	rec, _ := run(t, c)
	rows := rec.Rows()
	tpl, err := member.Template(c)
	require.NoError(t, err)
	require.Contains(t, tpl.Parameters, hostjoin.ParamJoinSecretARN)
	require.Contains(t, tpl.Parameters, hostjoin.ParamDNSServers)

	stacks := append(pulumimock.OfType(rows, "aws:cloudformation/stackSet:StackSet"), pulumimock.OfType(rows, "aws:cloudformation/stack:Stack")...)
	require.Len(t, stacks, 2)
	for _, s := range stacks {
		body := s.Inputs["templateBody"].(string)
		assert.Equal(t, string(tpl.JSON()), body, "%s: the template is the constant text", s.Name)
		assert.NotContains(t, body, "000000000000", "%s: no placeholder account left", s.Name)
		assert.NotContains(t, body, "192.0.2.53", "%s: no placeholder DNS server left", s.Name)
		assert.Contains(t, body, `{
                          "Ref": "DomainJoinSecretArn"
                        }`, "%s: the script reads the parameter", s.Name)
		params := s.Inputs["parameters"].(map[string]any)
		assert.Equal(t, joinSecretARN, params[hostjoin.ParamJoinSecretARN], "%s: the domain controller's join secret", s.Name)
		assert.Equal(t, dcAddress, params[hostjoin.ParamDNSServers], "%s: the domain controller's address", s.Name)
		assert.Contains(t, params, "ArtifactKey", "%s: the artifact parameters stay", s.Name)
	}
	set := pulumimock.OfType(rows, "aws:cloudformation/stackSet:StackSet")[0]
	assert.Contains(t, set.Options.DependsOn, "domain-controller-join", "the StackSet waits for the join secret's policies")
}

// TestProgramSharesTheJoinSecretWithTheOrganization checks the join
// secret's resource policy and its key: readable by the organization's
// principals only, through Secrets Manager only.
func TestProgramSharesTheJoinSecretWithTheOrganization(t *testing.T) {
	rec, _ := run(t, example(t))
	all := byName(rec.Rows())

	secret := all["aws:secretsmanager/secret:Secret domain-controller-join"]
	assert.Equal(t, "arn:aws:mock:::aws:kms/key:Key/domain-controller-join-id", secret.Inputs["kmsKeyId"], "a customer managed key, not aws/secretsmanager")
	assert.NotContains(t, all["aws:secretsmanager/secret:Secret domain-controller-admin"].Inputs, "kmsKeyId", "the administrator's secret stays with the account")

	sp := all["aws:secretsmanager/secretPolicy:SecretPolicy domain-controller-join"]
	require.NotNil(t, sp.Inputs, "the join secret's resource policy")
	assert.Equal(t, false, sp.Inputs["blockPublicPolicy"], "the public-policy check does not accept aws:PrincipalOrgID as a limit")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{
	  "Sid":"OrganizationHostsReadTheJoinSecret","Effect":"Allow","Principal":{"AWS":"*"},
	  "Action":"secretsmanager:GetSecretValue","Resource":"*",
	  "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, sp.Inputs["policy"].(string))

	kp := all["aws:kms/keyPolicy:KeyPolicy domain-controller-join"]
	require.NotNil(t, kp.Inputs, "the join key's policy")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AccountAdministersTheKey","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
	  {"Sid":"OrganizationDecryptsTheJoinSecret","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",
	   "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5",
	     "kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com",
	     "kms:EncryptionContext:SecretARN":"`+joinSecretARN+`"}}}]}`, kp.Inputs["policy"].(string))

	bootstrap := all["aws:iam/rolePolicy:RolePolicy domain-controller-bootstrap"].Inputs["policy"].(string)
	assert.Contains(t, bootstrap, `"kms:EncryptionContext:SecretARN":"`+joinSecretARN+`"`, "the domain controller decrypts its join secret through Secrets Manager")
}

// TestProgramKeepsThePasswordsSecret looks for every generated password
// in every registration's inputs (secrets revealed) and in the outputs the
// program adds: only the secret versions hold them, marked secret.
func TestProgramKeepsThePasswordsSecret(t *testing.T) {
	for _, engine := range []string{settings.EngineWindows, settings.EngineSamba} {
		t.Run(engine, func(t *testing.T) {
			c := example(t)
			c.DomainController.Engine = engine
			rec, outputs := run(t, c)
			assert.Empty(t, rec.plain, "secret versions whose value is not marked secret")
			passwords := rec.passwords(t)
			require.Len(t, passwords, 2, "the administrator's and the join account's")
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for name, in := range rec.inputs {
				if strings.HasPrefix(name, "aws:secretsmanager/secretVersion:SecretVersion ") {
					continue
				}
				for _, p := range passwords {
					assert.NotContains(t, in, p, "%s holds a generated password", name)
				}
			}
			require.Contains(t, rec.inputs, "aws:ec2/instance:Instance domain-controller")
			require.Contains(t, rec.inputs, "aws:cloudformation/stackSet:StackSet session-preferences-stackset")
			b, err := json.Marshal(outputs)
			require.NoError(t, err)
			for _, p := range passwords {
				assert.NotContains(t, string(b), p, "the outputs hold a generated password")
			}
			assert.Equal(t, joinSecretARN, outputs["joinSecretArn"])
			assert.Equal(t, []string{dcAddress}, outputs["dnsServers"])
		})
	}
}

// TestProgramStatusParameterIsTheAuditedOne checks that the stack creates
// the status parameter, and passes to the bootstrap, under the name `runas
// audit` reads for the same project and stack.
func TestProgramStatusParameterIsTheAuditedOne(t *testing.T) {
	rec, outputs := run(t, example(t))
	all := byName(rec.Rows())
	want := audit.DCStatusParameter(pulumimock.Project, pulumimock.Stack)
	assert.Equal(t, dcbootstrap.StatusParameterName(pulumimock.Project, pulumimock.Stack), want)
	param := all["aws:ssm/parameter:Parameter domain-controller-status"]
	require.NotNil(t, param.Inputs, "the status parameter")
	assert.Equal(t, want, param.Inputs["name"])
	assert.Equal(t, want, outputs["statusParameter"])
	assert.Contains(t, all["aws:ec2/instance:Instance domain-controller"].Inputs["userData"], "$StatusParameter = '"+want+"'")
}

func TestProgramSambaWithoutDemoHost(t *testing.T) {
	c := example(t)
	c.DomainController.Engine = settings.EngineSamba
	off := false
	c.DomainController.DemoHost.Enabled = &off
	rec, outputs := run(t, c)
	var instances []string
	for _, r := range pulumimock.OfType(rec.Rows(), "aws:ec2/instance:Instance") {
		instances = append(instances, r.Name)
		assert.True(t, strings.HasPrefix(r.Inputs["userData"].(string), "#!/bin/bash\n"))
		assert.Equal(t, "resolve:ssm:/aws/service/debian/release/12/latest/amd64", r.Inputs["ami"])
	}
	assert.Equal(t, []string{"domain-controller"}, instances)
	assert.NotContains(t, outputs, "demoHostInstanceId")
	assert.Len(t, pulumimock.OfType(rec.Rows(), "aws:cloudformation/stackSet:StackSet"), 1, "the per-user layers stay")
}

func TestProgramRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*settings.Config)
		want   string
	}{
		{"another model", func(c *settings.Config) { c.Model = settings.ModelPerUser }, "model domain-controller with domainController and perUser sections is required"},
		{"no identity center", func(c *settings.Config) { c.IdentityCenter = nil }, "identityCenter is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := example(t)
			tc.mutate(c)
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				return domaincontroller.Program(ctx, c, inputs(t))
			}, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, &pulumimock.Recorder{}))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
