package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/internal/outfile"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta"
)

// metadataFlags are the flags of metadata strip.
type metadataFlags struct {
	in, out, config, tenantID, cloud string
	thumbprint, trustThumbprint, at  string
	verify                           bool
}

func newMetadataCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "metadata",
		Short: "Work with Entra ID federation metadata",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var f metadataFlags
	strip := &cobra.Command{
		Use:   "strip --in FILE (--tenant-id GUID | --config FILE) [--trust-thumbprint HEX] [--thumbprint HEX] [--verify-signature] [--out FILE]",
		Short: "Check Entra federation metadata and reduce it to what IAM Identity Center accepts",
		Long: `strip reads Entra ID federation metadata and writes metadata IAM Identity
Center accepts: one IDPSSODescriptor, one signing certificate, and the
HTTP-Redirect and HTTP-POST SingleSignOnService endpoints. Entra's file lists
every signing certificate (active or not) in every descriptor, with
WS-Federation RoleDescriptors, a logout endpoint and a signature; Identity
Center fails on it with only "Retry Failed Steps".

Trust. The metadata's entity ID must be https://sts.windows.net/<tenant>/
(https://sts.chinacloudapi.cn/<tenant>/ in the china cloud) for the tenant
named by --tenant-id or by entra.tenantId in --config, and every sign-on
endpoint must be https://<the cloud's sign-in host>/<tenant>/...:
login.microsoftonline.com (--cloud global, the default),
login.microsoftonline.us (usgov) or login.partner.microsoftonline.cn (china).
This holds with or without signature checks.
--trust-thumbprint names the certificate the signature must verify with (the
application's signing certificate: stack output signingCertificateThumbprint).
--verify-signature without it checks the signature against the certificate
the file itself carries, which proves the file is intact, not who made it;
stderr says which of the two was proved.

The certificate kept is the one named by --thumbprint or, by default, the one
that signed the file (Entra signs with the active certificate). When the
signature does not verify, --thumbprint is required. A kept certificate
outside its validity is kept with a warning on stderr naming its dates.

Input: UTF-8 (with or without a byte order mark) or UTF-16 with a byte order
mark (PowerShell's Out-File); --in - reads stdin. Output: --out replaces a
regular file atomically and writes devices, pipes and /dev/fd/N through; it
refuses a directory and the input file itself. Nothing is written on failure.

Exit codes: 0 written; 1 the metadata was refused or could not be read or
written (one line on stderr says why); 2 the command was used wrongly.`,
		Example: `  runas metadata strip --in federationmetadata.xml --config runas.yaml \
    --trust-thumbprint "$(pulumi stack output signingCertificateThumbprint)" --out identity-center-idp.xml
  runas metadata strip --in federationmetadata.xml --tenant-id 61318f71-9c58-4f75-b8af-329e649fcd80 --verify-signature`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMetadataStrip(cmd, f) },
	}
	fl := strip.Flags()
	fl.StringVar(&f.in, "in", "", "Entra federation metadata file, - for stdin (required)")
	fl.StringVar(&f.out, "out", "", "where to write the result (default stdout)")
	fl.StringVar(&f.tenantID, "tenant-id", "", "the Entra tenant (GUID) the metadata must belong to (or --config)")
	fl.StringVarP(&f.config, "config", "c", "", "configuration file whose entra.tenantId the metadata must belong to (or --tenant-id)")
	fl.StringVar(&f.cloud, "cloud", string(samlmeta.DefaultCloud), "Entra cloud whose sign-in host the endpoints must be on: global, usgov or china")
	fl.StringVar(&f.trustThumbprint, "trust-thumbprint", "", "SHA-1 thumbprint of the certificate the signature must verify with (implies --verify-signature)")
	fl.StringVar(&f.thumbprint, "thumbprint", "", "SHA-1 thumbprint of the certificate to keep (default: the one that signed the file)")
	fl.BoolVar(&f.verify, "verify-signature", false, "refuse the metadata unless its signature verifies")
	fl.StringVar(&f.at, "at", "", "judge certificate validity at this RFC 3339 time instead of now")
	_ = strip.MarkFlagRequired("in")
	cmd.AddCommand(strip)
	return cmd
}

func usage(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func runMetadataStrip(cmd *cobra.Command, f metadataFlags) error {
	stderr := cmd.ErrOrStderr()
	now := time.Now()
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return usage("--at %q: must be RFC 3339, e.g. 2026-01-31T00:00:00Z", f.at)
		}
		now = t
	}
	cloud, err := samlmeta.ParseCloud(f.cloud)
	if err != nil {
		return usage("--%w", err)
	}
	toStdout := f.out == "" || f.out == "-"
	if !toStdout {
		if fi, err := os.Stat(f.out); err == nil && fi.IsDir() {
			return usage("--out %s is a directory; name a file", f.out)
		}
		if f.in != "-" {
			if err := outfile.CheckNotInput(f.out, f.in); err != nil {
				return usage("--out: %w", err)
			}
		}
	}
	tenant, err := metadataTenant(cmd, f)
	if err != nil {
		return err
	}

	data, err := readInput(cmd, f.in)
	if err != nil {
		return problem(fmt.Errorf("reading metadata: %w", err))
	}
	res, err := samlmeta.Strip(data, samlmeta.Options{
		TenantID:         tenant,
		Cloud:            cloud,
		Thumbprint:       f.thumbprint,
		TrustThumbprint:  f.trustThumbprint,
		RequireSignature: f.verify,
		Now:              now,
	})
	if err != nil {
		return problem(fmt.Errorf("%s: %w%s", f.in, err, metadataHint(err)))
	}

	if res.Transcoded != "" {
		fmt.Fprintf(stderr, "read %s as %s\n", f.in, res.Transcoded)
	}
	sig := res.Signature
	switch {
	case sig.Verified && sig.Anchored:
		fmt.Fprintf(stderr, "signature verified with the trusted certificate %s (--trust-thumbprint)%s\n", sig.Signer.Thumbprint, validityNote(sig.Signer, now))
	case sig.Verified:
		fmt.Fprintf(stderr, "signature verified with certificate %s, which the file itself carries%s: this proves the file is intact and self-consistent, not that Microsoft signed it; name the application's certificate with --trust-thumbprint to prove that\n",
			sig.Signer.Thumbprint, validityNote(sig.Signer, now))
	default:
		fmt.Fprintf(stderr, "signature not verified (%v); keeping the certificate --thumbprint names\n", sig.Err)
	}
	reason := res.Reason
	if f.thumbprint != "" {
		reason = "named by --thumbprint"
	}
	fmt.Fprintf(stderr, "kept certificate %s, valid %s to %s: %s (%d distinct in the input)\n",
		res.Chosen.Thumbprint, res.Chosen.NotBefore.UTC().Format("2006-01-02"), res.Chosen.NotAfter.UTC().Format("2006-01-02"),
		reason, len(res.Certificates))
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}

	if toStdout {
		if _, err := cmd.OutOrStdout().Write(res.XML); err != nil {
			return problem(fmt.Errorf("writing to stdout: %w", err))
		}
		return nil
	}
	if err := outfile.Write(f.out, res.XML, 0o644); err != nil {
		return problem(fmt.Errorf("writing %s: %w", f.out, err))
	}
	fmt.Fprintf(stderr, "wrote %s\n", f.out)
	return nil
}

// metadataTenant is the tenant the metadata must belong to: --tenant-id, or
// entra.tenantId of --config; both must agree when both are given.
func metadataTenant(cmd *cobra.Command, f metadataFlags) (string, error) {
	if f.tenantID == "" && f.config == "" {
		return "", usage("--tenant-id or --config is required: the metadata's entity ID must name your Entra tenant")
	}
	tenant := f.tenantID
	if f.config != "" {
		c, err := loadConfig(cmd, f.config)
		if err != nil {
			return "", err
		}
		if c.Entra == nil {
			return "", problem(fmt.Errorf("%s has no entra section; pass --tenant-id", f.config))
		}
		if tenant != "" && !strings.EqualFold(tenant, c.Entra.TenantID) {
			return "", usage("--tenant-id %s differs from entra.tenantId %s in %s", tenant, c.Entra.TenantID, f.config)
		}
		tenant = c.Entra.TenantID
	}
	if err := samlmeta.CheckTenantID(tenant); err != nil {
		return "", usage("--tenant-id: %w", err)
	}
	return tenant, nil
}

func readInput(cmd *cobra.Command, in string) ([]byte, error) {
	if in == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(in)
}

// metadataHint names the flag that resolves an error, where one does.
func metadataHint(err error) string {
	switch {
	case errors.Is(err, samlmeta.ErrThumbprintRequired):
		return "; pass --thumbprint with the application's active certificate (stack output signingCertificateThumbprint)"
	case errors.Is(err, samlmeta.ErrWrongEndpoint), errors.Is(err, samlmeta.ErrWrongIssuer):
		return " (--tenant-id/--config and --cloud say what is expected)"
	}
	return ""
}

func validityNote(c samlmeta.Certificate, now time.Time) string {
	if c.ValidAt(now) {
		return ""
	}
	return " (the signature is valid; the certificate " + c.Validity(now) + ")"
}
