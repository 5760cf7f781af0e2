package domaincontroller_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	domaincontroller "github.com/ssm-runas/ssm-runas/stacks/domain-controller"
)

// secretARNs answers like the recorder, except that a Secrets Manager
// secret gets an ARN of the shape AWS gives it (region, account, name and
// a six-character suffix): the join policy parses it.
type secretARNs struct{ *pulumimock.Recorder }

func (m secretARNs) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs, err := m.Recorder.NewResource(args)
	if err == nil && args.TypeToken == "aws:secretsmanager/secret:Secret" {
		outs["arn"] = resource.NewStringProperty("arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/" + args.Name + "-AbCdEf")
	}
	return id, outs, err
}

func example(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	return c
}

func run(t *testing.T, c *settings.Config) []pulumimock.Row {
	t.Helper()
	rec := &pulumimock.Recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		return domaincontroller.Program(ctx, c, deploy.Inputs{})
	}, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, secretARNs{rec}))
	require.NoError(t, err)
	return rec.Rows()
}

func TestProgramExample(t *testing.T) {
	rows := run(t, example(t))
	out, err := json.MarshalIndent(rows, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "rows.json", out)

	byName := map[string]pulumimock.Row{}
	for _, r := range rows {
		byName[r.Type+" "+r.Name] = r
	}
	dc := byName["aws:ec2/instance:Instance domain-controller"]
	require.NotNil(t, dc.Inputs, "the domain controller instance")
	assert.Equal(t, "aws-eu-west-1", dc.Provider)
	userData := dc.Inputs["userData"].(string)
	assert.Contains(t, userData, "$StatusParameter = '/runas/ssm-runas/plan/domain-controller/status'")
	assert.Contains(t, userData, "Add-SeedUser -Name 'Alice' -Path 'OU=People,DC=corp,DC=example,DC=com'")
	assert.Contains(t, userData, "$JoinOU = 'OU=LinuxHosts,OU=Servers,DC=corp,DC=example,DC=com'")

	host := byName["aws:ec2/instance:Instance demo-host"]
	require.NotNil(t, host.Inputs, "the demo host")
	assert.Equal(t, "true", host.Inputs["tags"].(map[string]any)["ssm-runas:domain-join"], "tagged for the join association")
	assert.Contains(t, host.Options.DependsOn, "domain-controller", "the demo host waits for the domain controller's instance")
	joinPolicy := byName["aws:iam/rolePolicy:RolePolicy demo-host-join-secret"].Inputs["policy"].(string)
	assert.Contains(t, joinPolicy, `"Resource":"arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-controller-join-AbCdEf"`)

	assoc := byName["aws:ssm/association:Association demo-join"]
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
	doc := byName["aws:ssm/document:Document demo-join"]
	require.NoError(t, json.Unmarshal([]byte(doc.Inputs["content"].(string)), &content))
	script := strings.Join(content.MainSteps[0].Inputs.RunCommand, "\n")
	assert.True(t, strings.HasPrefix(script, "#!/bin/bash\n"), "the per-user join script")
	assert.Contains(t, script, "OU=LinuxHosts,OU=Servers,DC=corp,DC=example,DC=com", "joins into the delegated OU")
	assert.Contains(t, script, "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-controller-join-AbCdEf", "with the stack's join secret")

	all := string(out)
	assert.NotContains(t, all, "Aa1.", "no generated password in any input")
	for _, v := range []pulumimock.Row{byName["aws:secretsmanager/secretVersion:SecretVersion domain-controller-admin"], byName["aws:secretsmanager/secretVersion:SecretVersion domain-controller-join"]} {
		assert.Equal(t, "[secret]", v.Inputs["secretString"])
	}
}

func TestProgramSambaWithoutDemoHost(t *testing.T) {
	c := example(t)
	c.DomainController.Engine = settings.EngineSamba
	off := false
	c.DomainController.DemoHost.Enabled = &off
	rows := run(t, c)
	var instances []string
	for _, r := range rows {
		if r.Type == "aws:ec2/instance:Instance" {
			instances = append(instances, r.Name)
			assert.True(t, strings.HasPrefix(r.Inputs["userData"].(string), "#!/bin/bash\n"))
		}
	}
	assert.Equal(t, []string{"domain-controller"}, instances)
}

func TestProgramRefusesOtherModels(t *testing.T) {
	c := example(t)
	c.Model = settings.ModelPerUser
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		return domaincontroller.Program(ctx, c, deploy.Inputs{})
	}, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, &pulumimock.Recorder{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "model domain-controller with domainController and perUser sections is required")
}
