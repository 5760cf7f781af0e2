package hostaccounts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostaccounts"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func exampleSpec(t *testing.T) hostaccounts.Spec {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return hostaccounts.FromConfig(c)
}

func TestScript(t *testing.T) {
	spec := exampleSpec(t)
	if got := strings.Join(spec.Names(), ","); got != "admin,developer,oracle,ssm-fallback,support" {
		t.Fatalf("accounts %s", got)
	}
	script, err := hostaccounts.Script(spec)
	if err != nil {
		t.Fatal(err)
	}
	golden.Text(t, "script.sh", script)

	p := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(p, script, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", "-n", p).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	if out, err := exec.Command(testtools.Require(t, "shellcheck", "apt-get install shellcheck"), "--severity=style", p).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

func TestSudoersPassVisudo(t *testing.T) {
	visudo := testtools.Require(t, "visudo", "apt-get install sudo")
	for _, a := range exampleSpec(t).Accounts {
		rule := hostaccounts.Sudoers(a)
		if rule == nil {
			continue
		}
		t.Run(a.Name, func(t *testing.T) {
			golden.Text(t, "sudoers", rule)
			p := filepath.Join(t.TempDir(), hostaccounts.SudoersFile(a.Name))
			os.WriteFile(p, rule, 0o440)
			if out, err := exec.Command(visudo, "-cf", p).CombinedOutput(); err != nil {
				t.Fatalf("visudo -cf: %v\n%s", err, out)
			}
		})
	}
}

// TestVisudoCatchesBrokenRules proves the check above can fail.
func TestVisudoCatchesBrokenRules(t *testing.T) {
	visudo := testtools.Require(t, "visudo", "apt-get install sudo")
	p := filepath.Join(t.TempDir(), "broken")
	os.WriteFile(p, []byte("admin ALL=(ALL NOPASSWD ALL\n"), 0o440)
	if err := exec.Command(visudo, "-cf", p).Run(); err == nil {
		t.Fatal("visudo accepted a broken rule")
	}
}

func TestScriptRefusesUnsafeInput(t *testing.T) {
	base := hostaccounts.Spec{Shell: "/bin/bash"}
	tests := []struct {
		name    string
		account hostaccounts.Account
		want    string
	}{
		{"root", hostaccounts.Account{Name: "root"}, "root is not allowed"},
		{"injection in name", hostaccounts.Account{Name: "a;reboot"}, "must match"},
		{"injection in command", hostaccounts.Account{Name: "ops", Sudo: &settings.Sudo{RunAs: "ALL", Commands: []string{"/bin/ls; reboot"}}}, "sudo command"},
		{"comment quote", hostaccounts.Account{Name: "ops", Comment: "it's"}, "comment"},
		{"empty sudo", hostaccounts.Account{Name: "ops", Sudo: &settings.Sudo{RunAs: "ALL"}}, "without commands"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.Accounts = []hostaccounts.Account{tc.account}
			if _, err := hostaccounts.Script(s); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}
