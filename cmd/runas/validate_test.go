package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateExample(t *testing.T) {
	code, out, errOut := runCLI(t, "validate", "--config", example)
	if code != 0 || !strings.Contains(out, "valid (model per-role, 2 targets, 3 regions)") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

func TestValidateReportsEachProblem(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"bad username", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: Admin!",
			`sessionPreferences.runAsDefaultUser "Admin!": must match ^[a-z_][a-z0-9_-]{0,31}$`},
		{"idle timeout 0", "idleSessionTimeoutMinutes: 20", "idleSessionTimeoutMinutes: 0",
			`sessionPreferences.idleSessionTimeoutMinutes "0": must be between 1 and 60 minutes`},
		{"malformed OU", "- ou-a1b2-sandboxes1", "- ou-sandboxes",
			`organization.targets[1] "ou-sandboxes": must be a root id (r-xxxx) or an OU id (ou-xxxx-xxxxxxxx)`},
		{"unknown field", "  runAsDefaultUser: ssm-fallback", "  runAsDefaultUser: ssm-fallback\n  runAsEnabled: false",
			`sessionPreferences.runAsEnabled: unknown field (line`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeVariant(t, tc.old, tc.new)
			code, out, errOut := runCLI(t, "validate", "--config", p)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q; want exit 1 and nothing on stdout", code, out)
			}
			if !strings.Contains(errOut, p+": "+tc.want) {
				t.Fatalf("stderr does not name the problem:\n%s\nwant %s", errOut, tc.want)
			}
		})
	}

	t.Run("all at once", func(t *testing.T) {
		src, _ := os.ReadFile(example)
		s := string(src)
		for _, e := range [][2]string{
			{"runAsDefaultUser: ssm-fallback", "runAsDefaultUser: Admin!"},
			{"idleSessionTimeoutMinutes: 20", "idleSessionTimeoutMinutes: 0"},
			{"- ou-a1b2-sandboxes1", "- ou-sandboxes"},
			{"model: per-role", "model: per-role\nroless: []"},
		} {
			s = strings.Replace(s, e[0], e[1], 1)
		}
		p := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(p, []byte(s), 0o644)
		code, _, errOut := runCLI(t, "validate", "--config", p)
		// Unknown fields are found before rules are checked; the other three
		// show once the field is fixed.
		if code != 1 || !strings.Contains(errOut, "roless: unknown field") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		s = strings.Replace(s, "\nroless: []", "", 1)
		os.WriteFile(p, []byte(s), 0o644)
		code, _, errOut = runCLI(t, "validate", "--config", p)
		if code != 1 || strings.Count(errOut, p+": ") != 3 {
			t.Fatalf("want three problems, exit 1; got exit %d\n%s", code, errOut)
		}
	})
}
