// Package testtools holds what several test packages need from outside Go:
// tools that must be installed (a missing one fails the test and says what
// to install) and the real Entra metadata beside the repository.
package testtools

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Require returns the path of tool, or fails the test with how to install it.
func Require(t testing.TB, tool, install string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is not installed: %s", tool, install)
	}
	return p
}

// CfnLint runs cfn-lint on a CloudFormation template and fails the test on
// any finding.
func CfnLint(t testing.TB, template []byte) {
	t.Helper()
	lint := Require(t, "cfn-lint", "pip install cfn-lint")
	p := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(p, template, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(lint, "--format", "parseable", p).CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint found problems (%v):\n%s", err, out)
	}
}

// RequireFixturesEnv makes missing real fixtures a failure instead of a skip.
const RequireFixturesEnv = "SSM_RUNAS_REQUIRE_FIXTURES"

// EntraMetadataDir returns ../shared/fixtures/entra-metadata beside the
// repository. Where it is absent the test is skipped, unless
// SSM_RUNAS_REQUIRE_FIXTURES is set (CI sets it), which makes it a failure.
func EntraMetadataDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "fixtures", "entra-metadata")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv(RequireFixturesEnv) != "" {
			t.Fatalf("real Entra metadata required but missing: %v (check out ../shared beside the repository)", err)
		}
		t.Skipf("real Entra metadata not found at %s; the generated cases still run", dir)
	}
	return dir
}

// NodePackage reports whether node is on PATH and the test-only npm package
// in dir is installed: every file of want, relative to dir, exists. The
// error says what to run, install being the package's install command
// (e.g. "cd tests/iamsim && npm ci").
func NodePackage(dir, install string, want ...string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not on PATH (apt-get install nodejs npm), then %s", install)
	}
	for _, p := range want {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			return fmt.Errorf("run %s", install)
		}
	}
	return nil
}
