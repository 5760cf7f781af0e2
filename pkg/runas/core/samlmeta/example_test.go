package samlmeta_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta"
)

// Strip checks that the metadata is the tenant's, keeps the certificate
// that signed it and drops everything Identity Center does not take.
func ExampleStrip() {
	in, err := os.ReadFile("testdata/TestStripGenerated_input.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := samlmeta.Strip(in, samlmeta.Options{
		TenantID: "61318f71-0000-4f75-b8af-329e649fcd80",
		Cloud:    samlmeta.CloudGlobal,
		// The application's signing certificate, e.g. the stack output
		// signingCertificateThumbprint: the signature must verify with it.
		TrustThumbprint: "211567749A53C2A0AFC5D57A1871DFD0375D2A3C",
		Now:             time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("anchored:", res.Signature.Anchored)
	fmt.Println("kept:", res.Chosen.Thumbprint, "because", res.Reason)
	fmt.Println("certificates in the input:", len(res.Certificates))
	_, err = samlmeta.Strip(in, samlmeta.Options{TenantID: "0d4b0c56-1111-4222-8333-944455566677", Now: time.Now()})
	fmt.Println(err != nil)
	// Output:
	// anchored: true
	// kept: 211567749A53C2A0AFC5D57A1871DFD0375D2A3C because it signed this file, so it is the one Entra signs with
	// certificates in the input: 3
	// true
}

// The issuer and sign-in host Strip expects in each cloud.
func ExampleParseCloud() {
	for _, name := range []string{"global", "usgov", "china"} {
		c, err := samlmeta.ParseCloud(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c, c.Issuer("61318F71-9C58-4F75-B8AF-329E649FCD80"), c.SignInHost())
	}
	// Output:
	// global https://sts.windows.net/61318f71-9c58-4f75-b8af-329e649fcd80/ login.microsoftonline.com
	// usgov https://sts.windows.net/61318f71-9c58-4f75-b8af-329e649fcd80/ login.microsoftonline.us
	// china https://sts.chinacloudapi.cn/61318f71-9c58-4f75-b8af-329e649fcd80/ login.partner.microsoftonline.cn
}

// Verify without a trust anchor proves only that the file is intact;
// Anchored says which was proved.
func ExampleMetadata_Verify() {
	in, err := os.ReadFile("testdata/TestStripGenerated_input.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := samlmeta.Parse(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.CheckIssuer("61318f71-0000-4f75-b8af-329e649fcd80", samlmeta.CloudGlobal); err != nil {
		fmt.Println(err)
		return
	}
	v, err := m.Verify("")
	fmt.Println(v.Signer.Thumbprint, v.Anchored, err)
	_, err = m.Verify("FA09A1DB6325954CDC0AB2AB20033CAA79C1B872")
	fmt.Println(errors.Is(err, samlmeta.ErrUntrustedSigner))
	// Output:
	// 211567749A53C2A0AFC5D57A1871DFD0375D2A3C false <nil>
	// true
}
