package samlmeta_test

import (
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
