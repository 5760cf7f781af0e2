package main

// Microsoft Graph has no emulator: internal/fakegraph answers the endpoints
// the entra commands use in Graph's documented shapes.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
)

const (
	exampleSPID    = "5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b"
	perUserExample = "../../examples/per-user/runas.yaml"
)

// perUserVariant writes the per-user example with the edits applied, in
// pairs of old and new text.
func perUserVariant(t *testing.T, edits ...string) string {
	t.Helper()
	src, err := os.ReadFile(perUserExample)
	require.NoError(t, err)
	text := string(src)
	for i := 0; i+1 < len(edits); i += 2 {
		edited := strings.Replace(text, edits[i], edits[i+1], 1)
		require.NotEqual(t, text, edited, "edit %q not applied", edits[i])
		text = edited
	}
	p := filepath.Join(t.TempDir(), "runas.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestEntraSyncAttributes(t *testing.T) {
	g := fakegraph.New(t)
	t.Setenv(GraphTokenEnv, "test-token")
	g.AddUser("u1", "alice@corp.example", false, "")
	g.AddUser("u2", "bob@corp.example", false, "admin") // lost the admin role
	g.AddUser("u3", "carol@corp.example", false, "")
	g.AddUser("u4", "dave@corp.example", false, "CC-4711") // another use of the attribute
	g.AddUser("u5", "erin@corp.example", false, "")
	g.SetGroup("SG-AWS-SSM-Admin")
	g.SetGroup("SG-AWS-SSM-Oracle", "u3")
	g.SetGroup("SG-AWS-SSM-Developer", "u1", "u3")
	g.SetGroup("SG-AWS-SSM-Support")
	// erin is in the admin group only through a nested group, which
	// provisioning does not carry to Identity Center.
	g.SetGroup("SG-Nested-Admins", "u5")
	g.NestGroup("SG-AWS-SSM-Admin", "SG-Nested-Admins")

	args := []string{"entra", "sync-attributes", "--config", example, "--graph-url", g.BaseURL()}
	code, out, errOut := runCLI(t, args...)
	require.Equal(t, 0, code, "dry run\n%s%s", out, errOut)
	assert.Zero(t, g.Patches, "a dry run wrote")
	for _, want := range []string{
		`~ alice@corp.example  extensionAttribute1: "" -> developer`,
		`~ bob@corp.example    extensionAttribute1: admin -> ssm-revoked  in no role group`,
		`~ carol@corp.example  extensionAttribute1: "" -> oracle`,
		`? dave@corp.example   extensionAttribute1: "CC-4711" left alone`,
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "erin@corp.example", "a nested member holds no role")
	assert.Contains(t, errOut, "would write 3, 0 unchanged, 1 left alone (not ours), 0 problems")

	code, _, errOut = runCLI(t, append(args, "--apply")...)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 3, g.Patches)
	assert.Equal(t, "CC-4711", g.Attribute("u4"))

	code, out, errOut = runCLI(t, append(args, "--apply", "--output", "json")...)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 3, g.Patches, "a second run must write nothing")
	assert.Contains(t, out, `"changes": null`)
	assert.Contains(t, out, `"value": "CC-4711"`)
	assert.Contains(t, errOut, "wrote 0, 3 unchanged, 1 left alone")
}

func TestEntraSyncAttributesRefusesPerUser(t *testing.T) {
	t.Setenv(GraphTokenEnv, "test-token")
	code, out, errOut := runCLI(t, "entra", "sync-attributes", "--config", perUserExample, "--graph-url", "http://127.0.0.1:1/v1.0")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "model per-user: sync-attributes computes Run As values from role groups (model per-role)")
	assert.Contains(t, errOut, "entra.scim.sourceAttribute onPremisesSamAccountName")
	assert.Contains(t, errOut, "run 'runas entra map-attribute' instead")
}

func synchronization(t *testing.T) *fakegraph.Server {
	g := fakegraph.New(t)
	t.Setenv(GraphTokenEnv, "test-token")
	read := func(name string) []byte {
		b, err := os.ReadFile("../../pkg/runas/cloud/graph/testdata/" + name)
		require.NoError(t, err)
		return b
	}
	g.SetSynchronization(exampleSPID, "AWS IAM Identity Center", read("templates.json"), read("jobs.json"), read("schema.json"))
	return g
}

func TestEntraMapAttribute(t *testing.T) {
	g := synchronization(t)
	args := []string{"entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL()}

	code, out, errOut := runCLI(t, args...)
	require.Equal(t, 0, code, errOut)
	assert.Zero(t, g.SchemaPuts)
	assert.Contains(t, out, "added\tProvision Microsoft Entra ID Users: (none) -> [extensionAttribute1]")
	assert.Contains(t, errOut, "template aWSSingleSignon found by factory tag aWSSingleSignon")
	assert.Contains(t, errOut, "dry run: nothing written")

	code, _, errOut = runCLI(t, append(args, "--apply", "--start")...)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, g.SchemaPuts)
	assert.Equal(t, 1, g.Starts)
	assert.Contains(t, string(g.Schema()), `"targetAttributeName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"`)

	code, out, _ = runCLI(t, append(args, "--apply")...)
	require.Equal(t, 0, code)
	assert.Equal(t, 1, g.SchemaPuts, "a second run must write nothing")
	assert.True(t, strings.HasPrefix(out, "unchanged"), out)
}

func TestEntraMapAttributePerUser(t *testing.T) {
	g := synchronization(t)
	// Without entra.scim.mapping the per-user model lower-cases.
	cfg := perUserVariant(t, "    mapping: lowercase\n", "")
	args := []string{"entra", "map-attribute", "--config", cfg, "--graph-url", g.BaseURL(), "--service-principal-id", exampleSPID}

	code, out, errOut := runCLI(t, append(args, "--output", "json")...)
	require.Equal(t, 0, code, errOut)
	assert.JSONEq(t, `{
	  "servicePrincipalId": "`+exampleSPID+`",
	  "template": {"id": "aWSSingleSignon", "lookedUp": true, "note": "template aWSSingleSignon found by factory tag aWSSingleSignon"},
	  "jobId": "aWSSingleSignon.0f3a9c1e2b4d4e6f8a0b1c2d3e4f5a6b.61318f71-9c58-4f75-b8af-329e649fcd80",
	  "changes": [{"action": "added", "rule": "USER_OUTBOUND_RULE", "objectMapping": "Provision Microsoft Entra ID Users",
	               "before": "", "after": "ToLower([onPremisesSamAccountName], )"}],
	  "pending": true, "written": false, "started": false}`, out)

	code, _, errOut = runCLI(t, append(args, "--apply")...)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, g.SchemaPuts)
	assert.Contains(t, string(g.Schema()), `"expression": "ToLower([onPremisesSamAccountName], )"`)
}

// TestEntraRetryAfterBeyondTheCap: a Graph that asks for a 100000 s pause
// must not hang the command; it fails within seconds and says why.
func TestEntraRetryAfterBeyondTheCap(t *testing.T) {
	g := synchronization(t)
	g.Throttle, g.RetryAfter = 1000, "100000"
	start := time.Now()
	code, out, errOut := runCLI(t, "entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL())
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "HTTP 429 TooManyRequests")
	assert.Contains(t, errOut, "Graph asks to wait 27h46m40s before retrying, more than the 1m0s this client waits: try again later")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
}

// TestEntraWaitsAreShownAndBounded: each wait is announced on stderr, and
// a wait that would outlast --timeout ends the command at once.
func TestEntraWaitsAreShownAndBounded(t *testing.T) {
	g := synchronization(t)
	g.Throttle, g.RetryAfter = 1, "1"
	code, _, errOut := runCLI(t, "entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL())
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "runas: graph GET /v1.0/servicePrincipals: HTTP 429 TooManyRequests; retrying in 1s (attempt 2 of 6)")

	g.Throttle, g.RetryAfter = 1000, "30"
	start := time.Now()
	code, _, errOut = runCLI(t, "entra", "sync-attributes", "--config", example, "--graph-url", g.BaseURL(), "--timeout", "2s")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "waiting 30s would pass the deadline")

	g.Throttle, g.Delay = 0, time.Minute // Graph stops answering
	start = time.Now()
	code, out, errOut := runCLI(t, "entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL(), "--timeout", "500ms")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "runas: stopped (--timeout 500ms reached): finding the service principal")

	code, _, errOut = runCLI(t, "entra", "sync-attributes", "--config", example, "--timeout", "0s")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--timeout 0s: must be positive")
}

func TestEntraMappingValidation(t *testing.T) {
	tests := []struct {
		name   string
		config func(t *testing.T) string
		want   string
	}{
		{"per-user without lower-casing", func(t *testing.T) string {
			return perUserVariant(t, "    mapping: lowercase\n", "    mapping: direct\n")
		}, `entra.scim.mapping "direct": must be lowercase for model per-user`},
		{"unknown mapping", func(t *testing.T) string {
			return writeVariant(t, "    sourceAttribute: extensionAttribute1\n", "    sourceAttribute: extensionAttribute1\n    mapping: upper\n")
		}, `entra.scim.mapping "upper": must be direct or lowercase`},
		{"target ABAC cannot read", func(t *testing.T) string {
			return writeVariant(t, "targetAttribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
				"targetAttribute: urn:ietf:params:scim:schemas:extension:custom:2.0:User:runAs")
		}, `entra.scim.targetAttribute "urn:ietf:params:scim:schemas:extension:custom:2.0:User:runAs": has no ${path:...} Identity Center's ABAC can read`},
		{"target and ABAC path disagree", func(t *testing.T) string {
			return perUserVariant(t, "targetAttribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
				"targetAttribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division")
		}, `entra.scim.targetAttribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division": Identity Center keeps it at ${path:enterprise.division}, but identityCenter.runAsSource reads ${path:enterprise.costCenter}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "validate", "--config", tc.config(t))
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
	t.Run("per-user example's entra section is valid", func(t *testing.T) {
		_, _, errOut := runCLI(t, "validate", "--config", perUserExample)
		assert.NotContains(t, errOut, "entra.")
		assert.NotContains(t, errOut, "perUser.userSource")
	})
}

// TestGraphURLOutsideGraphNeedsAToken: the credential chain gets tokens for
// the Microsoft Graph deployments only (each cloud's own scope and
// authority); any other --graph-url without a token in GraphTokenEnv is
// refused with one line before Graph is called.
func TestGraphURLOutsideGraphNeedsAToken(t *testing.T) {
	g := synchronization(t)
	t.Setenv(GraphTokenEnv, "")
	for _, args := range [][]string{
		{"entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL()},
		{"entra", "sync-attributes", "--config", example, "--graph-url", g.BaseURL()},
	} {
		code, out, errOut := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
		assert.Contains(t, errOut, "--graph-url: graph URL \""+g.BaseURL()+"\": not a Microsoft Graph deployment")
		assert.Contains(t, errOut, "or set "+GraphTokenEnv)
	}
}
