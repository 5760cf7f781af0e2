package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), old, new, 1)
	if edited == string(src) {
		t.Fatalf("edit %q not applied", old)
	}
	p := filepath.Join(t.TempDir(), "runas.yaml")
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("exit %d (want %d), stdout %q\nstderr %q\nwant one line containing %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}
