package samlmeta_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta"
)

func sha1Sum(b []byte) [20]byte { return sha1.Sum(b) }

const entraIssuer = "https://sts.windows.net/61318f71-0000-4f75-b8af-329e649fcd80/"

var now = date(2026, 3, 1)

// stripped is the shape Identity Center accepts, read back with a plain
// SAML metadata reader.
type stripped struct {
	XMLName xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
	IDP     []struct {
		Keys []struct {
			Use  string   `xml:"use,attr"`
			Cert []string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
		SSO []struct {
			Binding  string `xml:"Binding,attr"`
			Location string `xml:"Location,attr"`
		} `xml:"SingleSignOnService"`
		SLO []struct{} `xml:"SingleLogoutService"`
	} `xml:"IDPSSODescriptor"`
	Signature []struct{} `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
	Roles     []struct{} `xml:"RoleDescriptor"`
}

// checkStripped asserts what Identity Center needs and returns the kept
// certificate, base64.
func checkStripped(t *testing.T, out []byte) string {
	t.Helper()
	var s stripped
	if err := xml.Unmarshal(out, &s); err != nil {
		t.Fatalf("stripped metadata does not parse as SAML metadata: %v\n%s", err, out)
	}
	if len(s.IDP) != 1 || len(s.Signature) != 0 || len(s.Roles) != 0 {
		t.Fatalf("want one IDPSSODescriptor, no Signature, no RoleDescriptor: %+v", s)
	}
	idp := s.IDP[0]
	if len(idp.Keys) != 1 || len(idp.Keys[0].Cert) != 1 || idp.Keys[0].Use != "signing" {
		t.Fatalf("want exactly one signing certificate: %+v", idp.Keys)
	}
	if len(idp.SSO) != 2 || idp.SSO[0].Binding != samlmeta.BindingRedir || idp.SSO[1].Binding != samlmeta.BindingPOST || len(idp.SLO) != 0 {
		t.Fatalf("want the HTTP-Redirect and HTTP-POST SSO endpoints only: %+v", idp)
	}
	return idp.Keys[0].Cert[0]
}

func TestStripGenerated(t *testing.T) {
	certs := makeCerts(t)
	in := entraMetadata(t, certs, entraIssuer, &certs[1])

	res, err := samlmeta.Strip(in, samlmeta.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	golden.Text(t, "stripped.xml", res.XML)
	if got := checkStripped(t, res.XML); got != base64.StdEncoding.EncodeToString(certs[2].der) {
		t.Fatal("without a thumbprint the newest valid certificate must be kept")
	}
	if len(res.Certificates) != 3 || !strings.Contains(res.Reason, "newest of 2 certificates valid") {
		t.Fatalf("certificates %d, reason %q", len(res.Certificates), res.Reason)
	}

	// A thumbprint as people paste it: lower case with colons.
	tp := thumbprint(certs[1].der)
	pasted := strings.ToLower(tp[:2] + ":" + tp[2:])
	res, err = samlmeta.Strip(in, samlmeta.Options{Thumbprint: pasted})
	if err != nil {
		t.Fatal(err)
	}
	if got := checkStripped(t, res.XML); got != base64.StdEncoding.EncodeToString(certs[1].der) || res.Chosen.Thumbprint != tp {
		t.Fatal("the thumbprint must select its certificate")
	}
}

func TestStripRefuses(t *testing.T) {
	certs := makeCerts(t)
	good := entraMetadata(t, certs, entraIssuer, nil)
	sp := []byte(`<EntityDescriptor entityID="https://eu-west-1.signin.aws/platform/saml/d-1" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><SPSSODescriptor/></EntityDescriptor>`)
	tests := []struct {
		name string
		in   []byte
		opts samlmeta.Options
		is   error
		has  string
	}{
		{"AD FS", entraMetadata(t, certs, "http://sts.corp.example/adfs/services/trust", nil), samlmeta.Options{Now: now}, samlmeta.ErrNotEntra, "looks like AD FS"},
		{"SP metadata", sp, samlmeta.Options{Now: now}, samlmeta.ErrNotEntra, "service provider metadata"},
		{"thumbprint not found", good, samlmeta.Options{Thumbprint: "00FF"}, samlmeta.ErrThumbprintMissing, "00FF"},
		{"no valid certificate", good, samlmeta.Options{Now: date(2035, 1, 1)}, samlmeta.ErrNoValidCert, "2035-01-01"},
		{"malformed XML", []byte("<EntityDescriptor"), samlmeta.Options{Now: now}, nil, "not well-formed XML"},
		{"not metadata", []byte(`<html/>`), samlmeta.Options{Now: now}, samlmeta.ErrNotEntra, "not a SAML 2.0 EntityDescriptor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := samlmeta.Strip(tc.in, tc.opts)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.has) {
				t.Fatalf("got %v, want %v containing %q", err, tc.is, tc.has)
			}
		})
	}
}

func TestVerifyGenerated(t *testing.T) {
	certs := makeCerts(t)
	in := entraMetadata(t, certs, entraIssuer, &certs[1])
	c, err := samlmeta.Verify(in, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Thumbprint != thumbprint(certs[1].der) {
		t.Fatalf("verified with %s, signed with %s", c.Thumbprint, thumbprint(certs[1].der))
	}
	tampered := []byte(strings.Replace(string(in), "HTTP-POST\" Location=\"https://login.microsoftonline.com/", "HTTP-POST\" Location=\"https://evil.example/", 1))
	if _, err := samlmeta.Verify(tampered, "", now); !errors.Is(err, samlmeta.ErrSignature) {
		t.Fatalf("a tampered file must fail verification, got %v", err)
	}
	if _, err := samlmeta.Verify(entraMetadata(t, certs, entraIssuer, nil), "", now); !errors.Is(err, samlmeta.ErrSignature) {
		t.Fatalf("an unsigned file must fail verification, got %v", err)
	}
	if _, err := samlmeta.Verify(in, thumbprint(certs[2].der), now); !errors.Is(err, samlmeta.ErrSignature) {
		t.Fatalf("verifying with a certificate that did not sign must fail, got %v", err)
	}
}

// TestRealEntraMetadata runs every real file in ../shared/fixtures when it
// is there (CI always has it; set SSM_RUNAS_REQUIRE_FIXTURES=1 to make its
// absence a failure).
func TestRealEntraMetadata(t *testing.T) {
	dir := testtools.EntraMetadataDir(t)
	// Fixed clocks: a time when each file has a valid certificate.
	files := map[string]time.Time{
		"per-app-1cert.xml":             date(2024, 6, 1),
		"per-app-2certs.xml":            date(2025, 6, 1),
		"tenant-independent-4certs.xml": date(2026, 3, 1),
	}
	for name, clock := range files {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := samlmeta.Strip(in, samlmeta.Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			checkStripped(t, res.XML)
			mustContain(t, res.XML, "login.microsoftonline.com")
			if _, err := samlmeta.Verify(in, "", clock); err != nil {
				t.Fatalf("the original signature must verify: %v", err)
			}
		})
	}
	t.Run("adfs-not-entra.xml", func(t *testing.T) {
		in, err := os.ReadFile(filepath.Join(dir, "adfs-not-entra.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := samlmeta.Strip(in, samlmeta.Options{Now: date(2024, 1, 1)}); !errors.Is(err, samlmeta.ErrNotEntra) {
			t.Fatalf("AD FS metadata must be refused, got %v", err)
		}
	})
}
