package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
