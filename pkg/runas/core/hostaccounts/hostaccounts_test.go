package hostaccounts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostaccounts"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func exampleSpec(t *testing.T) hostaccounts.Spec {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	return hostaccounts.FromConfig(c)
}

func TestScript(t *testing.T) {
	spec := exampleSpec(t)
	assert.Equal(t, []string{"admin", "developer", "oracle", "ssm-fallback", "support"}, spec.Names())
	script, err := hostaccounts.Script(spec)
	require.NoError(t, err)
	golden.Text(t, "script.sh", script)

	p := filepath.Join(t.TempDir(), "script.sh")
	require.NoError(t, os.WriteFile(p, script, 0o755))
	out, err := exec.Command("bash", "-n", p).CombinedOutput()
	assert.NoError(t, err, "bash -n:\n%s", out)
	out, err = exec.Command(testtools.Require(t, "shellcheck", "apt-get install shellcheck"), "--severity=style", p).CombinedOutput()
	assert.NoError(t, err, "shellcheck:\n%s", out)
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
			require.NoError(t, os.WriteFile(p, rule, 0o440))
			out, err := exec.Command(visudo, "-cf", p).CombinedOutput()
			assert.NoError(t, err, "visudo -cf:\n%s", out)
		})
	}
}

// TestVisudoCatchesBrokenRules proves the check above can fail.
func TestVisudoCatchesBrokenRules(t *testing.T) {
	visudo := testtools.Require(t, "visudo", "apt-get install sudo")
	p := filepath.Join(t.TempDir(), "broken")
	require.NoError(t, os.WriteFile(p, []byte("admin ALL=(ALL NOPASSWD ALL\n"), 0o440))
	assert.Error(t, exec.Command(visudo, "-cf", p).Run(), "visudo accepted a broken rule")
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
		{"wildcard argument", hostaccounts.Account{Name: "ops", Sudo: &settings.Sudo{RunAs: "ALL", Commands: []string{"/usr/bin/less *"}}}, "sudo command"},
		{"env assignment", hostaccounts.Account{Name: "ops", Sudo: &settings.Sudo{RunAs: "ALL", Commands: []string{"/usr/bin/env A=1 /bin/sh"}}}, "sudo command"},
		{"comment quote", hostaccounts.Account{Name: "ops", Comment: "it's"}, "comment"},
		{"empty sudo", hostaccounts.Account{Name: "ops", Sudo: &settings.Sudo{RunAs: "ALL"}}, "without commands"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.Accounts = []hostaccounts.Account{tc.account}
			_, err := hostaccounts.Script(s)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// TestNoExecTag: NOEXEC goes into the rule, after NOPASSWD, and visudo
// accepts the combination.
func TestNoExecTag(t *testing.T) {
	visudo := testtools.Require(t, "visudo", "apt-get install sudo")
	rule := hostaccounts.Sudoers(hostaccounts.Account{Name: "support", Sudo: &settings.Sudo{
		RunAs: "ALL", NoPassword: true, NoExec: true, Commands: []string{"/usr/bin/journalctl --no-pager -n 500"}}})
	assert.Contains(t, string(rule), "support ALL=(ALL) NOPASSWD: NOEXEC: /usr/bin/journalctl --no-pager -n 500\n")
	p := filepath.Join(t.TempDir(), "support")
	require.NoError(t, os.WriteFile(p, rule, 0o440))
	out, err := exec.Command(visudo, "-cf", p).CombinedOutput()
	assert.NoError(t, err, "visudo -cf:\n%s", out)
}
