package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
)

func TestMetadataStrip(t *testing.T) {
	dir := testtools.EntraMetadataDir(t)
	out := filepath.Join(t.TempDir(), "ic.xml")
	code, stdout, errOut := runCLI(t, "metadata", "strip", "--in", filepath.Join(dir, "per-app-2certs.xml"),
		"--at", "2025-06-01T00:00:00Z", "--verify-signature", "--out", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d stdout %q: %s", code, stdout, errOut)
	}
	if !strings.Contains(errOut, "signature verified with certificate 9B6A4331329E0D853B20BD364CD7131D3652942F") ||
		!strings.Contains(errOut, "kept certificate 815D70419E644F95BE30F309616EBDA58C5B591B") {
		t.Fatalf("stderr must say what was verified and kept:\n%s", errOut)
	}
	written, _ := os.ReadFile(out)
	if strings.Count(string(written), "<X509Certificate>") != 1 || strings.Count(string(written), "<SingleSignOnService") != 2 {
		t.Fatalf("written metadata:\n%s", written)
	}

	for name, args := range map[string][]string{
		"AD FS":          {"--in", filepath.Join(dir, "adfs-not-entra.xml")},
		"thumbprint":     {"--in", filepath.Join(dir, "per-app-1cert.xml"), "--thumbprint", "DEADBEEF"},
		"no valid":       {"--in", filepath.Join(dir, "per-app-1cert.xml"), "--at", "2030-01-01T00:00:00Z"},
		"missing file":   {"--in", filepath.Join(dir, "nope.xml")},
		"bad signature?": {"--in", filepath.Join(dir, "per-app-1cert.xml"), "--verify-signature", "--thumbprint", "9B6A4331329E0D853B20BD364CD7131D3652942F"},
	} {
		target := filepath.Join(t.TempDir(), "out.xml")
		code, _, errOut := runCLI(t, append(append([]string{"metadata", "strip"}, args...), "--out", target)...)
		if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: exit %d, want 1 with one line:\n%s", name, code, errOut)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("%s: a failed strip wrote %s", name, target)
		}
	}
}
