package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/internal/atomicfile"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta"
)

func newMetadataCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "metadata",
		Short: "Work with Entra ID federation metadata",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var in, out, thumbprint, at string
	var verify bool
	strip := &cobra.Command{
		Use:   "strip --in FILE [--thumbprint HEX] [--verify-signature] [--out FILE]",
		Short: "Reduce Entra federation metadata to what IAM Identity Center accepts",
		Long: `strip reads Entra ID federation metadata and writes metadata IAM Identity
Center accepts: one IDPSSODescriptor, one signing certificate, and the
HTTP-Redirect and HTTP-POST SingleSignOnService endpoints. Entra's file lists
every signing certificate (active or not) in every descriptor, with
WS-Federation RoleDescriptors, a logout endpoint and a signature; Identity
Center fails on it with only "Retry Failed Steps".

The certificate kept is the one with --thumbprint (the app's active
certificate, e.g. the stack output signingCertificateThumbprint), or else the
newest certificate valid now, which is named on stderr. The signature is
dropped because stripping invalidates it; --verify-signature checks it first.

Refused with a reason: metadata that is not Entra's (AD FS, service provider
metadata), an unknown thumbprint, no valid certificate, malformed XML, a
signature that does not verify. Nothing is written on failure.`,
		Example: `  runas metadata strip --in federationmetadata.xml --out identity-center.xml
  runas metadata strip --in federationmetadata.xml --thumbprint 9B6A4331329E0D853B20BD364CD7131D3652942F --verify-signature`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--at %q: must be RFC 3339, e.g. 2026-01-31T00:00:00Z", at)}
				}
				now = t
			}
			data, err := os.ReadFile(in)
			if err != nil {
				return problem(fmt.Errorf("reading metadata: %w", err))
			}
			if verify {
				c, err := samlmeta.Verify(data, thumbprint, now)
				if err != nil {
					return problem(fmt.Errorf("%s: %w", in, err))
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "signature verified with certificate %s (%s)\n", c.Thumbprint, c.Subject)
			}
			res, err := samlmeta.Strip(data, samlmeta.Options{Thumbprint: thumbprint, Now: now})
			if err != nil {
				return problem(fmt.Errorf("%s: %w", in, err))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "kept certificate %s, valid %s to %s: %s (%d distinct in the input)\n",
				res.Chosen.Thumbprint, res.Chosen.NotBefore.Format("2006-01-02"), res.Chosen.NotAfter.Format("2006-01-02"),
				res.Reason, len(res.Certificates))
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(res.XML)
				return err
			}
			if err := atomicfile.Write(out, res.XML, 0o644); err != nil {
				return problem(fmt.Errorf("writing %s: %w", out, err))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			return nil
		},
	}
	f := strip.Flags()
	f.StringVar(&in, "in", "", "Entra federation metadata file (required)")
	f.StringVar(&out, "out", "", "where to write the result (default stdout)")
	f.StringVar(&thumbprint, "thumbprint", "", "SHA-1 thumbprint of the certificate to keep (default: the newest valid one)")
	f.BoolVar(&verify, "verify-signature", false, "verify the original signature before stripping")
	f.StringVar(&at, "at", "", "judge certificate validity at this RFC 3339 time instead of now")
	_ = strip.MarkFlagRequired("in")
	cmd.AddCommand(strip)
	return cmd
}
