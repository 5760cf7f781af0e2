package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		linuxUser any // nil for no shell
		failure   any
		stepHas   string
	}{
		{"one role group", []string{"--groups", "SG-AWS-SSM-Oracle"}, 0, "oracle", nil, "member of one role group"},
		{"two role groups by precedence", []string{"--groups", "SG-AWS-SSM-Support,SG-AWS-SSM-Developer"}, 0, "developer", nil,
			"the highest precedence wins, developer (3) over support (4)"},
		{"no role group", []string{"--groups", "All-Staff"}, 1, nil, "not-assigned", "the user is in none of"},
		{"multi-valued attribute", []string{"--attribute", "admin,developer"}, 1, nil, "multiple-values", "Identity Center rejects multi-valued attributes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"explain", "--config", example, "--user", "alice@corp.example", "--output", "json"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			var res struct {
				User      string
				LinuxUser any
				Failure   any
				Steps     []struct{ Step, Rule, Result string }
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("explain JSON: %v\n%s", err, out)
			}
			if res.User != "alice@corp.example" || res.LinuxUser != tc.linuxUser || res.Failure != tc.failure {
				t.Fatalf("got user %v failure %v, want %v %v\n%s", res.LinuxUser, res.Failure, tc.linuxUser, tc.failure, out)
			}
			if !strings.Contains(out, tc.stepHas) {
				t.Fatalf("no step says %q:\n%s", tc.stepHas, out)
			}
		})
	}

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"explain", "--config", example, "--user", "a"},
			{"explain", "--config", example, "--user", "a", "--groups", "x", "--attribute", "y"},
			{"explain", "--config", example, "--groups", "x"},
			{"explain", "--config", example, "--user", "a", "--groups", "x", "--host-users", "Bad!"},
		} {
			if code, _, errOut := runCLI(t, args...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("%v: exit %d, want 2 with one line:\n%s", args, code, errOut)
			}
		}
	})
}
