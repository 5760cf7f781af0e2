package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateExample(t *testing.T) {
	code, out, errOut := runCLI(t, "validate", "--config", example)
	require.Equal(t, 0, code, "stderr:\n%s", errOut)
	assert.Contains(t, out, "valid (model per-role, 2 targets, 3 regions)")
	// The example keeps admin, a stock Debian account, for its admin role
	// on purpose: a warning, not a failure.
	assert.Contains(t, errOut, example+`: warning: roles[0].linuxUser "admin": is also in guardrail.reservedUsers`)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one warning:\n%s", errOut)
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
		{"made-up region", "    - us-east-1", "    - zz-fake-9",
			`organization.regions[2] "zz-fake-9": is not a region of partition aws`},
		{"duplicate key", "  homeRegion: eu-west-1", "  homeRegion: eu-west-1\n  homeRegion: eu-west-1",
			`organization.homeRegion: duplicate key (line`},
		{"group names differing only in case", "entraGroup: SG-AWS-SSM-Support", "entraGroup: sg-aws-ssm-oracle",
			`roles[3].entraGroup "sg-aws-ssm-oracle": is also used by roles[1]`},
		{"SSH document", "    - name: AWS-StartPortForwardingSession", "    - name: AWS-StartSSHSession",
			`identityCenter.allowedSessionDocuments[0].name "AWS-StartSSHSession": goes around Run As`},
		{"sudo wildcard", "/usr/bin/journalctl --no-pager -n 500", "/usr/bin/less *",
			`roles[3].sudo.commands[0] "/usr/bin/less *": must be ALL, or an absolute path`},
		{"sudo env", "/usr/bin/journalctl --no-pager -n 500", "/usr/bin/env A=1 /bin/sh",
			`roles[3].sudo.commands[0] "/usr/bin/env A=1 /bin/sh": must be ALL, or an absolute path`},
		{"exempt pattern in every account", "arn:aws:iam::*:role/ssm-runas-remediation", "arn:aws:iam::*:role/ssm-runas-*",
			`guardrail.exemptRoleArns[0] "arn:aws:iam::*:role/ssm-runas-*": with * as the account the role name must be exact`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeVariant(t, tc.old, tc.new)
			code, out, errOut := runCLI(t, "validate", "--config", p)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, p+": "+tc.want)
		})
	}

	t.Run("all at once", func(t *testing.T) {
		src, err := os.ReadFile(example)
		require.NoError(t, err)
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
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		code, _, errOut := runCLI(t, "validate", "--config", p)
		// The unknown field no longer hides the rules the rest breaks.
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "roless: unknown field")
		assert.Equal(t, 4, strings.Count(errOut, p+": "), "want four problems:\n%s", errOut)
	})

	t.Run("warnings do not fail", func(t *testing.T) {
		p := writeVariant(t, "/usr/bin/journalctl --no-pager -n 500", "/usr/bin/journalctl -n 500")
		p2 := filepath.Join(filepath.Dir(p), "noexec-off.yaml")
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p2, []byte(strings.Replace(string(src), "      noExec: true\n    permissionSet:\n      name: SSM-Support", "    permissionSet:\n      name: SSM-Support", 1)), 0o644))
		code, out, errOut := runCLI(t, "validate", "--config", p2)
		assert.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "valid")
		assert.Contains(t, errOut, p2+`: warning: roles[3].sudo.commands[0] "/usr/bin/journalctl -n 500": journalctl can start other programs`)
	})
}
