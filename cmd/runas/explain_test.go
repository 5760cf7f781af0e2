package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		{"stored value with trailing whitespace is not trimmed", []string{"--attribute", "admin "}, 1, nil, "not-a-role-user",
			`\"admin \" is not a role user`},
		{"port forwarding opens no shell", []string{"--groups", "SG-AWS-SSM-Support", "--document", "AWS-StartPortForwardingSession"}, 1, nil, "no-shell",
			"opens no shell"},
		{"a revoked user without --groups is denied", []string{"--attribute", "ssm-revoked"}, 1, nil, "not-a-role-user",
			"DenyRunAsOutsideRoleUsers (the same in every ssm-runas permission set)"},
		{"a reserved account", []string{"--attribute", "ubuntu"}, 1, nil, "reserved-user", "SCP DenyReservedRunAsUsers"},
		{"a region without the document", []string{"--groups", "SG-AWS-SSM-Developer", "--region", "ap-southeast-2"}, 1, nil, "region-not-covered",
			"ap-southeast-2 has no preferences document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"explain", "--config", example, "--user", "alice@corp.example", "--output", "json"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			require.Equal(t, tc.code, code, "%s%s", out, errOut)
			var res struct {
				User      string
				LinuxUser any
				Failure   any
				Steps     []struct{ Step, Rule, Result string }
			}
			require.NoError(t, json.Unmarshal([]byte(out), &res), out)
			assert.Equal(t, "alice@corp.example", res.User)
			assert.Equal(t, tc.linuxUser, res.LinuxUser, out)
			assert.Equal(t, tc.failure, res.Failure, out)
			assert.Contains(t, out, tc.stepHas)
		})
	}

	t.Run("run as off exits 1 and says where the shell opens", func(t *testing.T) {
		p := writeVariant(t, "      runAsEnabled: false", "      runAsEnabled: false\n    - name: Corp-Shell\n      runAsEnabled: false\n      acknowledgeRisk: true")
		code, out, errOut := runCLI(t, "explain", "--config", p, "--user", "a", "--groups", "SG-AWS-SSM-Support", "--document", "Corp-Shell")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "lands as ssm-user (run-as-off)")
		assert.Contains(t, errOut, "shell as ssm-user for a: run-as-off")
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"explain", "--config", example, "--user", "a"},
			{"explain", "--config", example, "--user", "a", "--groups", "x", "--attribute", "y"},
			{"explain", "--config", example, "--groups", "x"},
			{"explain", "--config", example, "--user", "a", "--groups", "x", "--host-users", "Bad!"},
			{"explain", "--config", perUserExample, "--user", "a", "--attribute", "x", "--directory-value", "y"},
			{"explain", "--config", example, "--user", "a", "--directory-value", "y"},
		} {
			code, _, errOut := runCLI(t, args...)
			assert.Equal(t, 2, code, "%v", args)
			assert.Zero(t, strings.Count(strings.TrimSpace(errOut), "\n"), "%v: want one line:\n%s", args, errOut)
		}
	})
}

func TestExplainPerUser(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		linuxUser any
		failure   any
		stepHas   string
	}{
		{"the directory value, lower-cased", []string{"--directory-value", "Alice"}, 0, "alice", nil, `lower-cased by the provisioning mapping`},
		{"unique among others", []string{"--directory-value", "Alice", "--others", "bob,carol"}, 0, "alice", nil, "none of the 2 other values"},
		{"shared with another person", []string{"--directory-value", "Alice", "--others", "bob,alice"}, 1, "alice", "shared-value", `another person holds \"alice\"`},
		{"a reserved name", []string{"--directory-value", "EC2-User"}, 1, nil, "reserved-user", "DenyReservedRunAsUsers"},
		{"not a Linux name", []string{"--directory-value", "john.smith"}, 1, nil, "invalid-name", `refused: \"john.smith\"`},
		{"an empty attribute", []string{"--directory-value", ""}, 1, nil, "no-value", "provisioning writes no value"},
		{"resolves on a joined host", []string{"--attribute", "bob"}, 0, "bob", nil, "use_fully_qualified_names = False"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"explain", "--config", perUserExample, "--user", "alice@example.com", "--output", "json"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			require.Equal(t, tc.code, code, "%s%s", out, errOut)
			var res struct {
				LinuxUser any
				Failure   any
			}
			require.NoError(t, json.Unmarshal([]byte(out), &res), out)
			assert.Equal(t, tc.linuxUser, res.LinuxUser, out)
			assert.Equal(t, tc.failure, res.Failure, out)
			assert.Contains(t, out, tc.stepHas)
			if tc.code == 1 {
				assert.Contains(t, errOut, tc.failure)
			}
		})
	}
}

func TestExplainThroughTheBroker(t *testing.T) {
	src, err := os.ReadFile(example)
	require.NoError(t, err)
	cfg := filepath.Join(t.TempDir(), "broker.yaml")
	require.NoError(t, os.WriteFile(cfg, append(src, []byte(`
broker:
  permissionSets:
    - name: Admin
      linuxUser: admin
    - name: Developer
      linuxUser: developer
`)...), 0o600))

	_, out, _ := runCLI(t, "explain", "--config", cfg, "--user", "alice@corp.example",
		"--groups", "SG-AWS-SSM-Developer", "--permission-set", "Other-PS", "--account", "222222222222", "--output", "json")
	var got struct {
		Broker []settings.BrokerOutcome `json:"broker"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, []settings.BrokerOutcome{
		{PermissionSet: "Admin", LinuxUser: "admin"},
		{PermissionSet: "Developer", LinuxUser: "developer"},
		{PermissionSet: "Other-PS", Refusal: `permission set "Other-PS" is not configured for the broker`},
	}, got.Broker)

	_, out, _ = runCLI(t, "explain", "--config", example, "--user", "alice@corp.example", "--groups", "SG-AWS-SSM-Developer", "--output", "json")
	assert.NotContains(t, out, `"broker"`, "without a broker section there is nothing to say about it")
}

// A permission set the broker serves opens no direct session; the exit
// code follows what the broker decides for it.
func TestExplainBrokerServedPermissionSet(t *testing.T) {
	const cfg = "../../examples/per-permission-set/runas.yaml"
	code, out, _ := runCLI(t, "explain", "--config", cfg, "--user", "alice@corp.example", "--groups", "SG-AWS-SSM-Admin")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "DenyDirectStartSession: the session broker serves SSM-Admin")
	assert.Regexp(t, `SSM-Admin\s+admin\s+allowed`, out)
	assert.Contains(t, out, "it does not check assignments: a person signs in only with the permission sets their groups are assigned",
		"an allowed row is the broker's rule, not an assignment the person holds")

	code, out, errOut := runCLI(t, "explain", "--config", cfg, "--user", "alice@corp.example", "--groups", "SG-AWS-SSM-Admin", "--account", "12")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, `runas: --account "12": must be a 12-digit account id`, strings.TrimSpace(errOut))

	code, _, errOut = runCLI(t, "explain", "--config", cfg, "--user", "alice smith", "--groups", "SG-AWS-SSM-Admin")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "SSM-Admin serves no direct sessions and the broker refuses")
	assert.Contains(t, errOut, "cannot be a source identity")
}
