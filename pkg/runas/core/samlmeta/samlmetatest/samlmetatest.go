package samlmetatest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/stretchr/testify/require"
)

// Defaults of generated metadata.
const (
	TenantID  = "61318f71-0000-4f75-b8af-329e649fcd80"
	Issuer    = "https://sts.windows.net/" + TenantID + "/"
	SignInURL = "https://login.microsoftonline.com/" + TenantID + "/saml2"
	// Subject is the subject Entra gives its SAML signing certificates.
	Subject = "Microsoft Azure Federated SSO Certificate"
)

// Cert is a self-signed certificate made by the test, with its key.
type Cert struct {
	Key *rsa.PrivateKey
	DER []byte
}

// Thumbprint is the SHA-1 of the certificate in upper-case hex.
func (c Cert) Thumbprint() string {
	sum := sha1.Sum(c.DER)
	return strings.ToUpper(fmt.Sprintf("%x", sum))
}

// Base64 is the certificate as metadata carries it.
func (c Cert) Base64() string { return base64.StdEncoding.EncodeToString(c.DER) }

// NewCert makes a self-signed certificate for key, valid from to to.
func NewCert(t testing.TB, key *rsa.PrivateKey, serial int64, from, to time.Time) Cert {
	t.Helper()
	tpl := &x509.Certificate{
		SerialNumber:       big.NewInt(serial),
		Subject:            pkix.Name{CommonName: Subject},
		NotBefore:          from,
		NotAfter:           to,
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(nil, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	return Cert{Key: key, DER: der}
}

// FreshCert makes a certificate with a new 2048-bit key.
func FreshCert(t testing.TB, serial int64, from, to time.Time) Cert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return NewCert(t, key, serial, from, to)
}

// Metadata describes generated Entra-shaped metadata.
type Metadata struct {
	// Certs are the signing certificates listed, in order.
	Certs []Cert
	// EntityID defaults to Issuer.
	EntityID string
	// Location is every endpoint's; default SignInURL.
	Location string
	// Signer signs the metadata when set; it need not be among Certs.
	Signer *Cert
	// NoKeyInfo leaves the certificate out of the Signature, so a verifier
	// must try each listed certificate.
	NoKeyInfo bool
}

// Build writes the metadata, UTF-8 with a byte order mark.
func (m Metadata) Build(t testing.TB) []byte {
	t.Helper()
	if m.EntityID == "" {
		m.EntityID = Issuer
	}
	if m.Location == "" {
		m.Location = SignInURL
	}
	var keys strings.Builder
	for _, c := range m.Certs {
		fmt.Fprintf(&keys, `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`, c.Base64())
	}
	k := keys.String()
	loc := m.Location
	doc := `<EntityDescriptor ID="_0f1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" entityID="` + m.EntityID + `" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
		`<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + k + `</RoleDescriptor>` +
		`<RoleDescriptor xsi:type="fed:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + k + `</RoleDescriptor>` +
		`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + k +
		`<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + loc + `"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + loc + `"/>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + loc + `"/>` +
		`</IDPSSODescriptor></EntityDescriptor>`
	out := []byte(doc)
	if m.Signer != nil {
		d := etree.NewDocument()
		require.NoError(t, d.ReadFromString(doc))
		ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore{PrivateKey: m.Signer.Key, Certificate: [][]byte{m.Signer.DER}})
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		require.NoError(t, ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod))
		signed, err := ctx.SignEnveloped(d.Root())
		require.NoError(t, err)
		if m.NoKeyInfo {
			sig := signed.FindElement("./Signature")
			require.NotNil(t, sig)
			ki := sig.FindElement("./KeyInfo")
			require.NotNil(t, ki)
			sig.RemoveChild(ki)
		}
		d.SetRoot(signed)
		out, err = d.WriteToBytes()
		require.NoError(t, err)
		// Entra puts the signature first; move its exact bytes there.
		start := bytes.Index(out, []byte("<ds:Signature"))
		end := bytes.Index(out, []byte("</ds:Signature>")) + len("</ds:Signature>")
		open := bytes.IndexByte(out, '>') + 1
		require.True(t, start > 0 && end > start && open > 0, "signed document has no signature")
		sig := append([]byte(nil), out[start:end]...)
		rest := append(append([]byte(nil), out[:start]...), out[end:]...)
		out = append(append(append([]byte(nil), rest[:open]...), sig...), rest[open:]...)
	}
	return append([]byte{0xEF, 0xBB, 0xBF}, out...)
}

// UTF16 re-encodes UTF-8 metadata (its byte order mark dropped) as UTF-16
// with a byte order mark, as PowerShell's Out-File writes it.
func UTF16(utf8Data []byte, bigEndian bool) []byte {
	units := utf16.Encode([]rune(string(bytes.TrimPrefix(utf8Data, []byte{0xEF, 0xBB, 0xBF}))))
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}
