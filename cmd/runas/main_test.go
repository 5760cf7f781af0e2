package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const example = "../../examples/per-role/runas.yaml"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeVariant writes the example with one edit applied.
func writeVariant(t *testing.T, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(example)
	require.NoError(t, err)
	edited := strings.Replace(string(src), old, new, 1)
	require.NotEqual(t, string(src), edited, "edit %q not applied", old)
	p := filepath.Join(t.TempDir(), "runas.yaml")
	require.NoError(t, os.WriteFile(p, []byte(edited), 0o644))
	return p
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing config flag", []string{"validate"}, 2, `required flag(s) "config" not set`},
		{"unknown flag", []string{"plan", "--config", example, "--fast"}, 2, "unknown flag: --fast"},
		{"bad output", []string{"plan", "--config", example, "--output", "yaml"}, 2, `--output "yaml": must be table or json`},
		{"missing file", []string{"validate", "--config", "nope.yaml"}, 1, "reading config: open nope.yaml: no such file or directory"},
		{"unknown command", []string{"deploy"}, 2, `unknown command "deploy"`},
		{"explain without a value", []string{"explain", "--config", example, "--user", "alice"}, 2, "give exactly one of --groups, --attribute and --directory-value"},
		{"stackset template with a bad output flag", []string{"stackset", "template", "--config", example, "--output", "json"}, 2, "unknown flag: --output"},
		{"runbook into a directory", []string{"runbook", "--config", example, "--out", "."}, 2, "is a directory"},
		{"connect without a target", []string{"connect"}, 2, "--target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, "exit code")
			assert.Empty(t, out, "stdout")
			assert.Contains(t, errOut, tc.want)
			assert.Zero(t, strings.Count(strings.TrimSpace(errOut), "\n"), "one line on stderr: %q", errOut)
		})
	}
}
