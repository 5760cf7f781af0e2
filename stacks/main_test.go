package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

func TestRefuseUnknownAWSKeys(t *testing.T) {
	assert.NoError(t, refuseUnknownAWSKeys(""))
	assert.NoError(t, refuseUnknownAWSKeys(`{"aws:region":"eu-west-1","aws:profile":"org","ssm-runas:layers":"aws"}`))
	err := refuseUnknownAWSKeys(`{"aws:region":"eu-west-1","aws:endpoints":"[]","aws:insecure":"true"}`)
	assert.ErrorContains(t, err, "stack config aws:endpoints, aws:insecure: not passed to the program's aws providers")
	assert.Error(t, refuseUnknownAWSKeys(`not json`))
}

// TestRun runs the entry point as `pulumi up` would, with the stack's
// config: settings, the SCIM token secret, aws settings and a prebuilt zip.
func TestRun(t *testing.T) {
	src, err := os.ReadFile("../examples/per-role/runas.yaml")
	require.NoError(t, err)
	z, err := artifact.BuildWriter(t.Context(), artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	yaml := string(src) + "writer:\n  zipPath: " + z.Path + "\n"
	groups := []string{"SG-AWS-SSM-Admin", "SG-AWS-SSM-Oracle", "SG-AWS-SSM-Developer", "SG-AWS-SSM-Support"}
	rec := &pulumimock.Recorder{EntraGroups: groups}
	config := func(info *pulumi.RunInfo) {
		info.Config = map[string]string{
			"ssm-runas:settings":  yaml,
			"ssm-runas:scimToken": "token-from-identity-center",
			"aws:profile":         "org-admin",
			"aws:assumeRole":      `{"roleArn":"arn:aws:iam::111111111111:role/deploy","sessionName":"pulumi"}`,
		}
	}
	require.NoError(t, pulumi.RunErr(run, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, rec), config))

	var providers, jobs int
	for _, r := range rec.Rows() {
		switch r.Type {
		case "pulumi:providers:aws":
			providers++
			assert.Equal(t, "org-admin", r.Inputs["profile"], r.Name)
			assert.Equal(t, map[string]any{"roleArn": "arn:aws:iam::111111111111:role/deploy", "sessionName": "pulumi"}, r.Inputs["assumeRole"], r.Name)
		case "azuread:index/synchronizationJob:SynchronizationJob":
			jobs++
		case "aws:cloudformation/stackSet:StackSet":
			assert.Equal(t, z.Key(), r.Inputs["parameters"].(map[string]any)["ArtifactKey"])
		}
	}
	assert.Equal(t, 3, providers)
	assert.Equal(t, 1, jobs, "the token from the stack's secret creates the job")
}

func TestRunRefusesMismatchedModel(t *testing.T) {
	src, err := os.ReadFile("../examples/per-role/runas.yaml")
	require.NoError(t, err)
	err = pulumi.RunErr(run, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, &pulumimock.Recorder{}), func(info *pulumi.RunInfo) {
		info.Config = map[string]string{"ssm-runas:settings": string(src), "ssm-runas:model": "per-user"}
	})
	assert.ErrorContains(t, err, `config ssm-runas:model "per-user" does not match settings.model "per-role"`)
	err = pulumi.RunErr(run, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, &pulumimock.Recorder{}))
	assert.ErrorContains(t, err, "config ssm-runas:settings is not set")
}

// TestRunWithBroker runs the entry point on the per-permission-set example
// with broker.zipPath set: the broker's function gets that zip.
func TestRunWithBroker(t *testing.T) {
	src, err := os.ReadFile("../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	w, err := artifact.BuildWriter(t.Context(), artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	b, err := artifact.BuildBroker(t.Context(), artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	yaml := string(src) + "  zipPath: " + b.Path + "\nwriter:\n  zipPath: " + w.Path + "\n"
	rec := &pulumimock.Recorder{EntraGroups: []string{"SG-AWS-SSM-Admin", "SG-AWS-SSM-Oracle", "SG-AWS-SSM-Developer", "SG-AWS-SSM-Support"}}
	config := func(info *pulumi.RunInfo) {
		info.Config = map[string]string{"ssm-runas:settings": yaml}
	}
	require.NoError(t, pulumi.RunErr(run, pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, rec), config))

	var functions int
	for _, r := range rec.Rows() {
		if r.Type == "aws:lambda/function:Function" {
			functions++
			assert.Equal(t, b.SourceCodeHash(), r.Inputs["sourceCodeHash"])
			assert.Equal(t, map[string]any{"archive": filepath.Base(b.Path)}, r.Inputs["code"], "the zip is sent as an archive")
		}
	}
	assert.Equal(t, 1, functions)
}
