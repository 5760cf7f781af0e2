package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
)

func TestRunbookOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "RUNBOOK.md")
	code, stdout, stderr := runCLI(t, "runbook", "--config", example, "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	md, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(md), "--trust-thumbprint")

	// The configuration itself, through a link: refused, untouched.
	cfg := filepath.Join(t.TempDir(), "runas.yaml")
	src, err := os.ReadFile(example)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfg, src, 0o644))
	link := filepath.Join(t.TempDir(), "link.yaml")
	require.NoError(t, os.Symlink(cfg, link))
	code, _, stderr = runCLI(t, "runbook", "--config", cfg, "--out", link)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "the output is the input")
	after, err := os.ReadFile(cfg)
	require.NoError(t, err)
	assert.Equal(t, src, after)

	code, _, stderr = runCLI(t, "runbook", "--config", example, "--out", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "is a directory")

	var errb bytes.Buffer
	assert.Equal(t, 1, run([]string{"runbook", "--config", example}, failingWriter{}, &errb), "a full stdout is a problem, not a usage error")
	assert.Contains(t, errb.String(), "writing to stdout: no space left on device")
}

func TestRunbookPerUser(t *testing.T) {
	code, stdout, stderr := runCLI(t, "runbook", "--config", perUserExample)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "## 1. Prepare the directory and the hosts")
	assert.Contains(t, stdout, "ToLower([onPremisesSamAccountName], )")
	assert.NotContains(t, stdout, "sync-attributes")
}

// TestStacksetTemplatePerUser: the runas binary links the domain join
// section (the runbook imports its package), so `runas stackset template`
// prints the template the per-user stacks deploy, and cfn-lint accepts it.
func TestStacksetTemplatePerUser(t *testing.T) {
	code, stdout, stderr := runCLI(t, "stackset", "template", "--config", perUserExample)
	require.Equal(t, 0, code, stderr)
	var tpl struct {
		Resources map[string]struct{ Type string }
		Outputs   map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &tpl), stdout)
	assert.Equal(t, "AWS::SSM::Document", tpl.Resources[hostjoin.LogicalDocument].Type)
	assert.Equal(t, "AWS::SSM::Association", tpl.Resources[hostjoin.LogicalAssociation].Type)
	assert.Equal(t, "AWS::IAM::ManagedPolicy", tpl.Resources[hostjoin.LogicalPolicy].Type)
	assert.Contains(t, tpl.Outputs, hostjoin.OutputPolicyARN)
	testtools.CfnLint(t, []byte(stdout))
}
