package samlmeta_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Test keys (testdata/test-keys.pem) make the generated certificates and
// signatures deterministic: RSA PKCS#1 v1.5 signing has no randomness.
type testCert struct {
	key *rsa.PrivateKey
	der []byte
}

func loadKeys(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile("testdata/test-keys.pem")
	if err != nil {
		t.Fatal(err)
	}
	var keys []*rsa.PrivateKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// makeCerts returns three self-signed certificates like Entra's: one
// expired, one current, one newer and current.
func makeCerts(t testing.TB) []testCert {
	keys := loadKeys(t)
	spans := [][2]time.Time{
		{date(2020, 1, 1), date(2023, 1, 1)},
		{date(2024, 1, 1), date(2027, 1, 1)},
		{date(2025, 6, 1), date(2028, 6, 1)},
	}
	var out []testCert
	for i, k := range keys {
		tpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 1)),
			Subject:      pkix.Name{CommonName: "Microsoft Azure Federated SSO Certificate"},
			NotBefore:    spans[i][0], NotAfter: spans[i][1],
			SignatureAlgorithm: x509.SHA256WithRSA,
		}
		der, err := x509.CreateCertificate(nil, tpl, tpl, &k.PublicKey, k)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, testCert{key: k, der: der})
	}
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// entraMetadata builds metadata shaped like Entra's: a BOM, every
// certificate repeated in two RoleDescriptors and the IDPSSODescriptor, a
// logout endpoint, and (when signer is set) an enveloped signature first.
func entraMetadata(t testing.TB, certs []testCert, entityID string, signer *testCert) []byte {
	t.Helper()
	var keys strings.Builder
	for _, c := range certs {
		fmt.Fprintf(&keys, `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`,
			base64.StdEncoding.EncodeToString(c.der))
	}
	k := keys.String()
	loc := "https://login.microsoftonline.com/61318f71-0000-4f75-b8af-329e649fcd80/saml2"
	doc := `<EntityDescriptor ID="_0f1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" entityID="` + entityID + `" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
		`<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + k + `</RoleDescriptor>` +
		`<RoleDescriptor xsi:type="fed:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + k + `</RoleDescriptor>` +
		`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + k +
		`<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + loc + `"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + loc + `"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + loc + `"/>` +
		`</IDPSSODescriptor></EntityDescriptor>`
	out := []byte(doc)
	if signer != nil {
		d := etree.NewDocument()
		if err := d.ReadFromString(doc); err != nil {
			t.Fatal(err)
		}
		ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore{PrivateKey: signer.key, Certificate: [][]byte{signer.der}})
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
			t.Fatal(err)
		}
		signed, err := ctx.SignEnveloped(d.Root())
		if err != nil {
			t.Fatal(err)
		}
		d.SetRoot(signed)
		if out, err = d.WriteToBytes(); err != nil {
			t.Fatal(err)
		}
		// Entra puts the signature first; move its exact bytes there.
		start := bytes.Index(out, []byte("<ds:Signature"))
		end := bytes.Index(out, []byte("</ds:Signature>")) + len("</ds:Signature>")
		open := bytes.IndexByte(out, '>') + 1
		if start < 0 || end < start || open <= 0 {
			t.Fatal("signed document has no signature")
		}
		sig := append([]byte(nil), out[start:end]...)
		rest := append(append([]byte(nil), out[:start]...), out[end:]...)
		out = append(append(append([]byte(nil), rest[:open]...), sig...), rest[open:]...)
	}
	return append([]byte{0xEF, 0xBB, 0xBF}, out...)
}

func thumbprint(der []byte) string {
	return strings.ToUpper(fmt.Sprintf("%x", sha1Sum(der)))
}

func mustContain(t *testing.T, b []byte, s string) {
	t.Helper()
	if !bytes.Contains(b, []byte(s)) {
		t.Fatalf("output lacks %q", s)
	}
}
