package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta/samlmetatest"
)

// exampleTenant is entra.tenantId of the example configuration.
const exampleTenant = "61318f71-9c58-4f75-b8af-329e649fcd80"

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// metadataCerts are three certificates the test makes: expired, current,
// newer.
func metadataCerts(t *testing.T) []samlmetatest.Cert {
	return []samlmetatest.Cert{
		samlmetatest.FreshCert(t, 1, day(2020, 1, 1), day(2023, 1, 1)),
		samlmetatest.FreshCert(t, 2, day(2024, 1, 1), day(2027, 1, 1)),
		samlmetatest.FreshCert(t, 3, day(2025, 6, 1), day(2028, 6, 1)),
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func stripArgs(in string, extra ...string) []string {
	return append([]string{"metadata", "strip", "--in", in, "--tenant-id", samlmetatest.TenantID, "--at", "2026-03-01T00:00:00Z"}, extra...)
}

// assertRefused checks a refusal: the exit code, one line on stderr with
// want, nothing on stdout and nothing written to out.
func assertRefused(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.xml")
	gotCode, stdout, stderr := runCLI(t, append(args, "--out", out)...)
	assert.Equal(t, code, gotCode, "exit code; stderr:\n%s", stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, want)
	assert.Equal(t, 0, strings.Count(strings.TrimSpace(stderr), "\n"), "one line on stderr:\n%s", stderr)
	assert.NoFileExists(t, out, "nothing is written on failure")
}

func TestMetadataStripTrust(t *testing.T) {
	certs := metadataCerts(t)
	evil := samlmetatest.FreshCert(t, 666, day(2025, 1, 1), day(2030, 1, 1))
	withEvil := append(append([]samlmetatest.Cert(nil), certs...), evil)
	genuine := writeTemp(t, "genuine.xml", samlmetatest.Metadata{Certs: certs, Signer: &certs[1]}.Build(t))

	t.Run("genuine, anchored", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "ic.xml")
		code, stdout, stderr := runCLI(t, stripArgs(genuine, "--trust-thumbprint", strings.ToLower(certs[1].Thumbprint()), "--out", out)...)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "signature verified with the trusted certificate "+certs[1].Thumbprint())
		assert.Contains(t, stderr, "kept certificate "+certs[1].Thumbprint())
		assert.Contains(t, stderr, "it signed this file")
		written, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, 1, strings.Count(string(written), "<X509Certificate>"))
		assert.Contains(t, string(written), certs[1].Base64())
	})
	t.Run("self-consistency is named as such", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, stripArgs(genuine, "--verify-signature")...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, certs[1].Base64(), "the signer is kept by default")
		assert.Contains(t, stderr, "which the file itself carries")
		assert.Contains(t, stderr, "not that Microsoft signed it")
	})

	// Re-signed by someone else and sending sign-in elsewhere.
	forged := writeTemp(t, "forged.xml", samlmetatest.Metadata{Certs: withEvil, Signer: &evil, Location: "https://login.example.net/" + samlmetatest.TenantID + "/saml2"}.Build(t))
	assertRefused(t, 1, "login.example.net", stripArgs(forged)...)
	assertRefused(t, 1, "login.example.net", stripArgs(forged, "--verify-signature")...)
	assertRefused(t, 1, "login.example.net", stripArgs(forged, "--trust-thumbprint", certs[1].Thumbprint())...)
	// Re-signed on Microsoft's host: the trust anchor refuses it.
	resigned := writeTemp(t, "resigned.xml", samlmetatest.Metadata{Certs: withEvil, Signer: &evil}.Build(t))
	assertRefused(t, 1, "not the trusted "+certs[1].Thumbprint(), stripArgs(resigned, "--trust-thumbprint", certs[1].Thumbprint())...)

	// Another tenant's metadata; another cloud.
	assertRefused(t, 1, "is not \"https://sts.windows.net/"+exampleTenant+"/\"", "metadata", "strip", "--in", genuine, "--config", example)
	assertRefused(t, 1, "login.microsoftonline.us", stripArgs(genuine, "--cloud", "usgov")...)

	// The tenant from the configuration.
	mine := writeTemp(t, "mine.xml", samlmetatest.Metadata{Certs: certs, Signer: &certs[1],
		EntityID: "https://sts.windows.net/" + exampleTenant + "/", Location: "https://login.microsoftonline.com/" + exampleTenant + "/saml2"}.Build(t))
	code, _, stderr := runCLI(t, "metadata", "strip", "--in", mine, "--config", example, "--at", "2026-03-01T00:00:00Z")
	assert.Equal(t, 0, code, stderr)
}

func TestMetadataStripSaysWhatFailed(t *testing.T) {
	certs := metadataCerts(t)
	signed := samlmetatest.Metadata{Certs: certs, Signer: &certs[1]}.Build(t)

	t.Run("expired signer", func(t *testing.T) {
		in := writeTemp(t, "in.xml", samlmetatest.Metadata{Certs: certs, Signer: &certs[0]}.Build(t))
		code, stdout, stderr := runCLI(t, stripArgs(in, "--verify-signature")...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, certs[0].Base64())
		assert.NotContains(t, stderr, "does not verify")
		assert.Contains(t, stderr, "signature verified with certificate "+certs[0].Thumbprint())
		assert.Contains(t, stderr, "expired on 2023-01-01 (valid 2020-01-01 to 2023-01-01)")
		assert.Contains(t, stderr, "warning: the kept certificate")
	})
	t.Run("expired by thumbprint", func(t *testing.T) {
		in := writeTemp(t, "in.xml", signed)
		code, _, stderr := runCLI(t, stripArgs(in, "--thumbprint", certs[0].Thumbprint())...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "named by --thumbprint")
		assert.Contains(t, stderr, "warning: the kept certificate "+certs[0].Thumbprint()+" is outside its validity: expired on 2023-01-01")
		assert.Contains(t, stderr, "did not sign this file")
	})
	edited := bytes.Replace(signed, []byte("/saml2\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"), []byte("/saml2/x\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"), 1)
	require.NotEqual(t, signed, edited)
	assertRefused(t, 1, "digest mismatch", stripArgs(writeTemp(t, "edited.xml", edited), "--verify-signature")...)

	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(signed[3:]))
	d.Indent(2)
	indented, err := d.WriteToBytes()
	require.NoError(t, err)
	assertRefused(t, 1, "reformatted after signing", stripArgs(writeTemp(t, "indented.xml", indented), "--verify-signature")...)

	unsigned := writeTemp(t, "unsigned.xml", samlmetatest.Metadata{Certs: certs}.Build(t))
	assertRefused(t, 1, "pass --thumbprint", stripArgs(unsigned)...)
	code, _, stderr := runCLI(t, stripArgs(unsigned, "--thumbprint", certs[2].Thumbprint())...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "signature not verified")

	bare := bytes.Replace(samlmetatest.Metadata{Certs: certs, Signer: &certs[1], NoKeyInfo: true}.Build(t),
		[]byte("/saml2\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"), []byte("/saml2/x\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"), 1)
	out := filepath.Join(t.TempDir(), "out.xml")
	code, _, stderr = runCLI(t, append(stripArgs(writeTemp(t, "bare.xml", bare), "--verify-signature"), "--out", out)...)
	assert.Equal(t, 1, code)
	for _, c := range certs {
		assert.Contains(t, stderr, c.Thumbprint(), "every candidate's error is reported")
	}
}

func TestMetadataStripInput(t *testing.T) {
	certs := metadataCerts(t)
	signed := samlmetatest.Metadata{Certs: certs, Signer: &certs[1]}.Build(t)

	assertRefused(t, 1, "junk after the root element", stripArgs(writeTemp(t, "junk.xml", append(append([]byte(nil), signed...), "trailing"...)))...)
	foreign := bytes.Replace(signed, []byte("<IDPSSODescriptor "), []byte(`<IDPSSODescriptor xmlns="urn:example:other" `), 1)
	assertRefused(t, 1, `IDPSSODescriptor in namespace "urn:example:other"`, stripArgs(writeTemp(t, "foreign.xml", foreign), "--thumbprint", certs[1].Thumbprint())...)
	assertRefused(t, 1, "Invoke-WebRequest", stripArgs(writeTemp(t, "nobom16.xml", samlmetatest.UTF16(signed, false)[2:]))...)
	assertRefused(t, 1, "reading metadata", stripArgs(filepath.Join(t.TempDir(), "missing.xml"))...)

	for _, big := range []bool{false, true} {
		in := writeTemp(t, "utf16.xml", samlmetatest.UTF16(signed, big))
		code, stdout, stderr := runCLI(t, stripArgs(in, "--verify-signature")...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "as UTF-16")
		assert.Contains(t, stdout, certs[1].Base64())
	}

	// --in - reads stdin.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	go func() {
		_, _ = w.Write(signed)
		_ = w.Close()
	}()
	saved := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = saved }()
	code, stdout, stderr := runCLI(t, stripArgs("-")...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, certs[1].Base64())
}

func TestMetadataStripUsage(t *testing.T) {
	certs := metadataCerts(t)
	in := writeTemp(t, "in.xml", samlmetatest.Metadata{Certs: certs, Signer: &certs[1]}.Build(t))
	assertRefused(t, 2, "--tenant-id or --config is required", "metadata", "strip", "--in", in)
	assertRefused(t, 2, "must be a GUID", "metadata", "strip", "--in", in, "--tenant-id", "contoso.onmicrosoft.com")
	assertRefused(t, 2, "differs from entra.tenantId", "metadata", "strip", "--in", in, "--tenant-id", samlmetatest.TenantID, "--config", example)
	assertRefused(t, 2, `--cloud "mars": must be global, usgov or china`, stripArgs(in, "--cloud", "mars")...)
	assertRefused(t, 2, "must be RFC 3339", "metadata", "strip", "--in", in, "--tenant-id", samlmetatest.TenantID, "--at", "yesterday")

	// --out naming the input, by another path: refused, the original intact.
	before, err := os.ReadFile(in)
	require.NoError(t, err)
	link := filepath.Join(t.TempDir(), "link.xml")
	require.NoError(t, os.Symlink(in, link))
	for _, out := range []string{in, link} {
		code, _, stderr := runCLI(t, stripArgs(in, "--out", out)...)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, "the output is the input")
		after, err := os.ReadFile(in)
		require.NoError(t, err)
		assert.Equal(t, before, after, "the signed original is untouched")
	}
	dir := t.TempDir()
	code, _, stderr := runCLI(t, stripArgs(in, "--out", dir)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "is a directory")
}

// failingWriter is a stdout on a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

func TestMetadataStripOutput(t *testing.T) {
	certs := metadataCerts(t)
	in := writeTemp(t, "in.xml", samlmetatest.Metadata{Certs: certs, Signer: &certs[1]}.Build(t))

	t.Run("named pipe", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "fifo")
		require.NoError(t, syscall.Mkfifo(fifo, 0o600))
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- string(b)
		}()
		code, _, stderr := runCLI(t, stripArgs(in, "--out", fifo)...)
		require.Equal(t, 0, code, stderr)
		select {
		case s := <-got:
			assert.Contains(t, s, certs[1].Base64())
		case <-time.After(10 * time.Second):
			t.Fatal("nothing reached the pipe's reader")
		}
		fi, err := os.Lstat(fifo)
		require.NoError(t, err)
		assert.NotZero(t, fi.Mode()&fs.ModeNamedPipe, "the pipe stays a pipe")
	})
	for _, viaLink := range []bool{false, true} {
		t.Run(fmt.Sprintf("descriptor, via link %v", viaLink), func(t *testing.T) {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			got := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(r)
				got <- string(b)
			}()
			out := fmt.Sprintf("/dev/fd/%d", w.Fd())
			if viaLink {
				link := filepath.Join(t.TempDir(), "stdout")
				require.NoError(t, os.Symlink(out, link))
				out = link
			}
			code, _, stderr := runCLI(t, stripArgs(in, "--out", out)...)
			require.NoError(t, w.Close())
			require.Equal(t, 0, code, stderr)
			select {
			case s := <-got:
				assert.Contains(t, s, certs[1].Base64())
			case <-time.After(10 * time.Second):
				t.Fatal("nothing reached the pipe's reader")
			}
			if viaLink {
				fi, err := os.Lstat(out)
				require.NoError(t, err)
				assert.NotZero(t, fi.Mode()&fs.ModeSymlink, "the link stays a link")
			}
		})
	}
	t.Run("full device", func(t *testing.T) {
		var st syscall.Stat_t
		if err := syscall.Stat("/dev/full", &st); err != nil {
			t.Skipf("/dev/full does not exist here: %v", err)
		}
		// As root, a copy of the node, so a regression cannot replace the
		// system's /dev/full.
		dev := "/dev/full"
		node := filepath.Join(t.TempDir(), "full")
		if err := syscall.Mknod(node, syscall.S_IFCHR|0o666, int(st.Rdev)); err == nil {
			dev = node
		} else {
			require.ErrorIs(t, err, syscall.EPERM)
		}
		code, _, stderr := runCLI(t, stripArgs(in, "--out", dev)...)
		assert.Equal(t, 1, code, "a full disk is a problem, not a usage error")
		assert.Contains(t, stderr, "no space left on device")
		fi, err := os.Lstat(dev)
		require.NoError(t, err)
		assert.NotZero(t, fi.Mode()&fs.ModeCharDevice, "the device stays a device")
	})
	t.Run("full stdout", func(t *testing.T) {
		var errb bytes.Buffer
		code := run(stripArgs(in), failingWriter{}, &errb)
		assert.Equal(t, 1, code)
		assert.Contains(t, errb.String(), "writing to stdout: no space left on device")
	})
}

// TestMetadataStripRealFiles runs the real Entra files beside the
// repository when they are there.
func TestMetadataStripRealFiles(t *testing.T) {
	dir := testtools.EntraMetadataDir(t)
	const tenant2 = "81c1df79-e153-4f9d-a101-8dcf04af6c2c"
	const signer2 = "9B6A4331329E0D853B20BD364CD7131D3652942F"
	out := filepath.Join(t.TempDir(), "ic.xml")
	code, stdout, errOut := runCLI(t, "metadata", "strip", "--in", filepath.Join(dir, "per-app-2certs.xml"), "--tenant-id", tenant2,
		"--at", "2025-06-01T00:00:00Z", "--trust-thumbprint", signer2, "--out", out)
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, stdout)
	assert.Contains(t, errOut, "signature verified with the trusted certificate "+signer2)
	assert.Contains(t, errOut, "kept certificate "+signer2, "the signer, not the newest")
	written, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(written), "<X509Certificate>"))
	assert.Equal(t, 2, strings.Count(string(written), "<SingleSignOnService"))

	code, _, errOut = runCLI(t, "metadata", "strip", "--in", filepath.Join(dir, "per-app-2certs.xml"), "--tenant-id", tenant2, "--at", "2025-06-01T00:00:00Z")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "kept certificate "+signer2, "by default too")

	assertRefused(t, 1, "looks like AD FS", "metadata", "strip", "--in", filepath.Join(dir, "adfs-not-entra.xml"), "--tenant-id", tenant2)
	assertRefused(t, 1, "tenant-independent", "metadata", "strip", "--in", filepath.Join(dir, "tenant-independent-4certs.xml"), "--tenant-id", tenant2)
	assertRefused(t, 1, "DEADBEEF", "metadata", "strip", "--in", filepath.Join(dir, "per-app-1cert.xml"), "--tenant-id", exampleTenant, "--thumbprint", "DEADBEEF")
	assertRefused(t, 1, "not among the metadata's signing certificates", "metadata", "strip", "--in", filepath.Join(dir, "per-app-1cert.xml"), "--tenant-id", exampleTenant, "--trust-thumbprint", signer2)
}
