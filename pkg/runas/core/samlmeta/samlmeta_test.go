package samlmeta_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta"
)

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
	require.NoError(t, xml.Unmarshal(out, &s), "stripped metadata must parse as SAML metadata:\n%s", out)
	require.Len(t, s.IDP, 1, "one IDPSSODescriptor")
	assert.Empty(t, s.Signature, "no Signature")
	assert.Empty(t, s.Roles, "no RoleDescriptor")
	idp := s.IDP[0]
	require.Len(t, idp.Keys, 1, "one KeyDescriptor")
	require.Len(t, idp.Keys[0].Cert, 1, "one certificate")
	assert.Equal(t, "signing", idp.Keys[0].Use)
	require.Len(t, idp.SSO, 2)
	assert.Equal(t, samlmeta.BindingRedir, idp.SSO[0].Binding)
	assert.Equal(t, samlmeta.BindingPOST, idp.SSO[1].Binding)
	assert.Empty(t, idp.SLO, "no logout endpoint")
	return idp.Keys[0].Cert[0]
}

func opts(o samlmeta.Options) samlmeta.Options {
	if o.TenantID == "" {
		o.TenantID = tenantID
	}
	if o.Now.IsZero() {
		o.Now = now
	}
	return o
}

func TestStripGenerated(t *testing.T) {
	certs := makeCerts(t)
	in := spec{Certs: certs, Signer: &certs[1]}.Build(t)
	golden.Text(t, "input.xml", in)

	res, err := samlmeta.Strip(in, opts(samlmeta.Options{}))
	require.NoError(t, err)
	golden.Text(t, "stripped.xml", res.XML)
	assert.Equal(t, certs[1].Base64(), checkStripped(t, res.XML), "by default the certificate that signed the file is kept, not the newest")
	assert.Len(t, res.Certificates, 3)
	assert.Contains(t, res.Reason, "signed this file")
	assert.True(t, res.Signature.Verified)
	assert.False(t, res.Signature.Anchored, "no trust anchor was named")
	assert.Empty(t, res.Warnings)

	// A thumbprint as people paste it: lower case with colons.
	tp := certs[2].Thumbprint()
	pasted := strings.ToLower(tp[:2] + ":" + tp[2:])
	res, err = samlmeta.Strip(in, opts(samlmeta.Options{Thumbprint: pasted}))
	require.NoError(t, err)
	assert.Equal(t, certs[2].Base64(), checkStripped(t, res.XML), "the thumbprint selects its certificate")
	assert.Equal(t, tp, res.Chosen.Thumbprint)
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0], "did not sign this file; "+certs[1].Thumbprint()+" did")
}

// TestStripRefusesForgedMetadata: metadata re-signed with a certificate of
// someone else's making verifies against itself; the tenant and host checks
// and the trust anchor must refuse it anyway.
func TestStripRefusesForgedMetadata(t *testing.T) {
	certs := makeCerts(t)
	evil := attackerCert(t)
	withEvil := append(append([]testCert(nil), certs...), evil)

	forged := spec{Certs: withEvil, Signer: &evil, Location: "https://login.example.net/" + tenantID + "/saml2"}.Build(t)
	for name, o := range map[string]samlmeta.Options{
		"no verification":          {},
		"self-consistency only":    {RequireSignature: true},
		"against the trust anchor": {TrustThumbprint: certs[1].Thumbprint()},
	} {
		t.Run("other host/"+name, func(t *testing.T) {
			_, err := samlmeta.Strip(forged, opts(o))
			assert.ErrorIs(t, err, samlmeta.ErrWrongEndpoint)
			assert.ErrorContains(t, err, "login.example.net")
		})
	}

	// Microsoft's host but the forger's certificate: only the trust anchor
	// tells them apart.
	resigned := spec{Certs: withEvil, Signer: &evil}.Build(t)
	_, err := samlmeta.Strip(resigned, opts(samlmeta.Options{TrustThumbprint: certs[1].Thumbprint()}))
	assert.ErrorIs(t, err, samlmeta.ErrUntrustedSigner)
	assert.ErrorIs(t, err, samlmeta.ErrSignature)
	assert.ErrorContains(t, err, evil.Thumbprint())
	res, err := samlmeta.Strip(resigned, opts(samlmeta.Options{RequireSignature: true}))
	require.NoError(t, err, "self-consistent, so it verifies without an anchor")
	assert.False(t, res.Signature.Anchored, "and the result must say no anchor was involved")
	assert.Equal(t, evil.Thumbprint(), res.Signature.Signer.Thumbprint)

	// The anchor verifies the genuine file.
	genuine := spec{Certs: certs, Signer: &certs[1]}.Build(t)
	res, err = samlmeta.Strip(genuine, opts(samlmeta.Options{TrustThumbprint: strings.ToLower(certs[1].Thumbprint())}))
	require.NoError(t, err)
	assert.True(t, res.Signature.Anchored)
	assert.Equal(t, certs[1].Thumbprint(), res.Chosen.Thumbprint)
	_, err = samlmeta.Strip(genuine, opts(samlmeta.Options{TrustThumbprint: "00FF00FF"}))
	assert.ErrorIs(t, err, samlmeta.ErrUntrustedSigner, "an anchor the file does not carry")
}

func TestStripChecksTenantAndCloud(t *testing.T) {
	certs := makeCerts(t)
	const other = "0d4b0c56-1111-4222-8333-944455566677"
	tests := []struct {
		name string
		in   spec
		o    samlmeta.Options
		is   error
		has  string
	}{
		{"another tenant", spec{EntityID: "https://sts.windows.net/" + other + "/"}, samlmeta.Options{}, samlmeta.ErrWrongIssuer, other},
		{"tenant-independent", spec{EntityID: "https://sts.windows.net/{tenantid}/", Location: "https://login.microsoftonline.com/common/saml2"}, samlmeta.Options{}, samlmeta.ErrWrongIssuer, "tenant-independent"},
		{"endpoint of another tenant", spec{Location: "https://login.microsoftonline.com/" + other + "/saml2"}, samlmeta.Options{}, samlmeta.ErrWrongEndpoint, other},
		{"plain http", spec{Location: "http://login.microsoftonline.com/" + tenantID + "/saml2"}, samlmeta.Options{}, samlmeta.ErrWrongEndpoint, "not https"},
		{"user info hiding the host", spec{Location: "https://login.microsoftonline.com@evil.example/" + tenantID + "/saml2"}, samlmeta.Options{}, samlmeta.ErrWrongEndpoint, "not on login.microsoftonline.com"},
		{"a port", spec{Location: "https://login.microsoftonline.com:8443/" + tenantID + "/saml2"}, samlmeta.Options{}, samlmeta.ErrWrongEndpoint, "not on login.microsoftonline.com"},
		{"global metadata, usgov expected", spec{}, samlmeta.Options{Cloud: samlmeta.CloudUSGov}, samlmeta.ErrWrongEndpoint, "login.microsoftonline.us"},
		{"china issuer, global expected", spec{EntityID: "https://sts.chinacloudapi.cn/" + tenantID + "/"}, samlmeta.Options{}, samlmeta.ErrWrongIssuer, "china"},
		{"no tenant", spec{}, samlmeta.Options{TenantID: "-"}, samlmeta.ErrOptions, "must be a GUID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Certs, tc.in.Signer = certs, &certs[1]
			o := opts(tc.o)
			if o.TenantID == "-" {
				o.TenantID = "contoso.onmicrosoft.com"
			}
			_, err := samlmeta.Strip(tc.in.Build(t), o)
			assert.ErrorIs(t, err, tc.is)
			assert.ErrorContains(t, err, tc.has)
		})
	}

	for _, tc := range []struct {
		cloud    samlmeta.Cloud
		issuer   string
		location string
	}{
		{samlmeta.CloudUSGov, "https://sts.windows.net/" + tenantID + "/", "https://login.microsoftonline.us/" + tenantID + "/saml2"},
		{samlmeta.CloudChina, "https://sts.chinacloudapi.cn/" + tenantID + "/", "https://login.partner.microsoftonline.cn/" + tenantID + "/saml2"},
	} {
		t.Run(string(tc.cloud), func(t *testing.T) {
			in := spec{Certs: certs, Signer: &certs[1], EntityID: tc.issuer, Location: tc.location}.Build(t)
			res, err := samlmeta.Strip(in, opts(samlmeta.Options{Cloud: tc.cloud, TenantID: strings.ToUpper(tenantID)}))
			require.NoError(t, err)
			assert.Contains(t, string(res.XML), tc.location)
			_, err = samlmeta.Strip(in, opts(samlmeta.Options{}))
			assert.Error(t, err, "the default cloud is global")
		})
	}
}

func TestStripNeedsSignerOrThumbprint(t *testing.T) {
	certs := makeCerts(t)
	unsigned := spec{Certs: certs}.Build(t)
	_, err := samlmeta.Strip(unsigned, opts(samlmeta.Options{}))
	assert.ErrorIs(t, err, samlmeta.ErrThumbprintRequired)
	assert.ErrorContains(t, err, "there is no Signature")
	for _, c := range certs {
		assert.ErrorContains(t, err, c.Thumbprint(), "the choices are listed")
	}

	res, err := samlmeta.Strip(unsigned, opts(samlmeta.Options{Thumbprint: certs[1].Thumbprint()}))
	require.NoError(t, err, "a thumbprint makes the signature unnecessary")
	assert.False(t, res.Signature.Verified)
	assert.ErrorIs(t, res.Signature.Err, samlmeta.ErrSignature)

	_, err = samlmeta.Strip(unsigned, opts(samlmeta.Options{Thumbprint: certs[1].Thumbprint(), RequireSignature: true}))
	assert.ErrorIs(t, err, samlmeta.ErrSignature)

	_, err = samlmeta.Strip(unsigned, opts(samlmeta.Options{Thumbprint: "00FF"}))
	assert.ErrorIs(t, err, samlmeta.ErrThumbprintMissing)
	assert.ErrorContains(t, err, "00FF")

	_, err = samlmeta.Strip(unsigned, samlmeta.Options{TenantID: tenantID, Thumbprint: certs[1].Thumbprint()})
	assert.ErrorIs(t, err, samlmeta.ErrOptions, "the time is required")
}

func TestStripExpiredCertificates(t *testing.T) {
	certs := makeCerts(t)

	// Signed by the expired certificate: the signature is fine, the
	// certificate is expired, and both are said.
	in := spec{Certs: certs, Signer: &certs[0]}.Build(t)
	res, err := samlmeta.Strip(in, opts(samlmeta.Options{RequireSignature: true}))
	require.NoError(t, err, "an expired signer does not make the signature fail")
	assert.True(t, res.Signature.Verified)
	assert.Equal(t, certs[0].Thumbprint(), res.Chosen.Thumbprint)
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0], "expired on 2023-01-01 (valid 2020-01-01 to 2023-01-01)")

	res, err = samlmeta.Strip(in, opts(samlmeta.Options{TrustThumbprint: certs[0].Thumbprint()}))
	require.NoError(t, err, "an expired trust anchor still verifies the signature")
	assert.True(t, res.Signature.Anchored)

	// Chosen by thumbprint, expired: a warning with the dates.
	in = spec{Certs: certs, Signer: &certs[1]}.Build(t)
	res, err = samlmeta.Strip(in, opts(samlmeta.Options{Thumbprint: certs[0].Thumbprint()}))
	require.NoError(t, err)
	assert.Equal(t, certs[0].Base64(), checkStripped(t, res.XML))
	assert.Contains(t, strings.Join(res.Warnings, "\n"), "expired on 2023-01-01 (valid 2020-01-01 to 2023-01-01)")

	// Not yet valid.
	res, err = samlmeta.Strip(in, opts(samlmeta.Options{Thumbprint: certs[2].Thumbprint(), Now: date(2025, 1, 1)}))
	require.NoError(t, err)
	assert.Contains(t, strings.Join(res.Warnings, "\n"), "not valid until 2025-06-01")
}

func TestVerifySaysWhatFailed(t *testing.T) {
	certs := makeCerts(t)
	signed := spec{Certs: certs, Signer: &certs[1]}.Build(t)
	parse := func(t *testing.T, b []byte) *samlmeta.Metadata {
		t.Helper()
		m, err := samlmeta.Parse(b)
		require.NoError(t, err)
		return m
	}

	v, err := parse(t, signed).Verify("")
	require.NoError(t, err)
	assert.Equal(t, certs[1].Thumbprint(), v.Signer.Thumbprint)
	_, err = (&samlmeta.Metadata{}).Verify("")
	assert.ErrorIs(t, err, samlmeta.ErrOptions, "metadata not read by Parse")

	t.Run("edited", func(t *testing.T) {
		edited := replaceOnce(t, signed, "/saml2\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "/saml2/x\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
		_, err := parse(t, edited).Verify("")
		assert.ErrorIs(t, err, samlmeta.ErrSignature)
		assert.ErrorIs(t, err, samlmeta.ErrDigestMismatch)
		assert.NotErrorIs(t, err, samlmeta.ErrReformatted)
		assert.ErrorContains(t, err, "changed after signing (digest mismatch)")
	})
	t.Run("re-indented", func(t *testing.T) {
		d := etree.NewDocument()
		require.NoError(t, d.ReadFromBytes(signed[3:]))
		d.Indent(2)
		indented, err := d.WriteToBytes()
		require.NoError(t, err)
		_, err = parse(t, indented).Verify("")
		assert.ErrorIs(t, err, samlmeta.ErrSignature)
		assert.ErrorIs(t, err, samlmeta.ErrReformatted)
		assert.NotErrorIs(t, err, samlmeta.ErrDigestMismatch)
		assert.ErrorContains(t, err, "reformatted")
	})
	t.Run("every candidate's error", func(t *testing.T) {
		bare := spec{Certs: certs, Signer: &certs[1], NoKeyInfo: true}.Build(t)
		v, err := parse(t, bare).Verify("")
		require.NoError(t, err, "a Signature without KeyInfo verifies with whichever listed certificate signed it")
		assert.Equal(t, certs[1].Thumbprint(), v.Signer.Thumbprint)

		edited := replaceOnce(t, bare, "/saml2\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "/saml2/x\"/><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
		_, err = parse(t, edited).Verify("")
		assert.ErrorContains(t, err, "any of its 3 certificates")
		for _, c := range certs {
			assert.ErrorContains(t, err, c.Thumbprint())
		}
		assert.ErrorIs(t, err, samlmeta.ErrDigestMismatch, "the signer's own error")
		assert.ErrorIs(t, err, samlmeta.ErrKeyMismatch, "the other certificates' errors")
	})
	t.Run("unsigned", func(t *testing.T) {
		_, err := parse(t, spec{Certs: certs}.Build(t)).Verify("")
		assert.ErrorIs(t, err, samlmeta.ErrSignature)
		assert.ErrorContains(t, err, "no Signature")
	})
	t.Run("signer not listed", func(t *testing.T) {
		evil := attackerCert(t)
		in := spec{Certs: certs, Signer: &evil}.Build(t)
		_, err := parse(t, in).Verify("")
		assert.ErrorIs(t, err, samlmeta.ErrSignature)
		assert.ErrorContains(t, err, "does not list as a signing certificate")
	})
}

func TestParseRefusesMalformed(t *testing.T) {
	certs := makeCerts(t)
	good := spec{Certs: certs, Signer: &certs[1]}.Build(t)
	sp := []byte(`<EntityDescriptor entityID="https://eu-west-1.signin.aws/platform/saml/d-1" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><SPSSODescriptor/></EntityDescriptor>`)
	tests := []struct {
		name string
		in   []byte
		is   error
		has  string
	}{
		{"text after the root", append(append([]byte(nil), good...), []byte("\n<!-- fine -->\njunk")...), samlmeta.ErrMalformed, `junk after the root element: text "junk"`},
		{"element after the root", append(append([]byte(nil), good...), []byte("<EntityDescriptor/>")...), samlmeta.ErrMalformed, "junk after the root element: a second element"},
		{"DOCTYPE", append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), good[3:]...), samlmeta.ErrMalformed, "<!DOCTYPE> declaration"},
		{"IDPSSODescriptor in a foreign namespace", replaceOnce(t, good, "<IDPSSODescriptor ", `<IDPSSODescriptor xmlns="urn:example:not-saml" `), samlmeta.ErrNotEntra, `IDPSSODescriptor in namespace "urn:example:not-saml"`},
		{"SingleSignOnService in a foreign namespace", replaceOnce(t, good, `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"`, `<SingleSignOnService xmlns="urn:example:not-saml" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"`), samlmeta.ErrNotEntra, `SingleSignOnService in namespace "urn:example:not-saml"`},
		{"UTF-16 without BOM", toUTF16(t, good, false)[2:], samlmeta.ErrMalformed, "UTF-16 without a byte order mark"},
		{"Latin-1", []byte("<EntityDescriptor entityID=\"caf\xe9\"/>"), samlmeta.ErrMalformed, "Invoke-WebRequest"},
		{"UTF-16 declared, UTF-8 bytes", append([]byte(`<?xml version="1.0" encoding="utf-16"?>`), good[3:]...), samlmeta.ErrMalformed, "the bytes are UTF-8"},
		{"truncated", good[:len(good)-10], samlmeta.ErrMalformed, "not well-formed XML"},
		{"AD FS", spec{Certs: certs, EntityID: "http://sts.corp.example/adfs/services/trust"}.Build(t), samlmeta.ErrNotEntra, "looks like AD FS"},
		{"SP metadata", sp, samlmeta.ErrNotEntra, "service provider metadata"},
		{"not metadata", []byte(`<html/>`), samlmeta.ErrNotEntra, "not a SAML 2.0 EntityDescriptor"},
		{"empty", nil, samlmeta.ErrMalformed, "no root element"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := samlmeta.Parse(tc.in)
			assert.ErrorIs(t, err, tc.is)
			assert.ErrorContains(t, err, tc.has)
			_, err = samlmeta.Strip(tc.in, opts(samlmeta.Options{Thumbprint: certs[1].Thumbprint()}))
			assert.ErrorIs(t, err, tc.is, "Strip refuses it with verification off")
		})
	}
}

func TestParseEncodings(t *testing.T) {
	certs := makeCerts(t)
	good := spec{Certs: certs, Signer: &certs[1]}.Build(t)
	for name, tc := range map[string]struct {
		in   []byte
		from string
	}{
		"UTF-8 with BOM":    {good, ""},
		"UTF-8 without BOM": {good[3:], ""},
		"UTF-16LE with BOM": {toUTF16(t, good, false), "UTF-16LE"},
		"UTF-16BE with BOM": {toUTF16(t, good, true), "UTF-16BE"},
		"UTF-16LE declared": {toUTF16(t, append([]byte("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n"), good[3:]...), false), "UTF-16LE"},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := samlmeta.Strip(tc.in, opts(samlmeta.Options{RequireSignature: true}))
			require.NoError(t, err)
			assert.Equal(t, tc.from, res.Transcoded)
			assert.Equal(t, certs[1].Base64(), checkStripped(t, res.XML), "the signature verifies on the decoded text")
		})
	}
}

func TestCloud(t *testing.T) {
	c, err := samlmeta.ParseCloud(" USGov ")
	require.NoError(t, err)
	assert.Equal(t, samlmeta.CloudUSGov, c)
	assert.Equal(t, "login.microsoftonline.us", c.SignInHost())
	_, err = samlmeta.ParseCloud("germany")
	assert.ErrorContains(t, err, "must be global, usgov or china")
	assert.Equal(t, "https://sts.chinacloudapi.cn/"+tenantID+"/", samlmeta.CloudChina.Issuer(strings.ToUpper(tenantID)))
}

// TestRealEntraMetadata runs every real file in ../shared/fixtures when it
// is there (CI always has it; set SSM_RUNAS_REQUIRE_FIXTURES=1 to make its
// absence a failure).
func TestRealEntraMetadata(t *testing.T) {
	dir := testtools.EntraMetadataDir(t)
	files := []struct {
		name   string
		tenant string // "" for the tenant-independent file
		clock  time.Time
		// signer is the index, among the file's distinct certificates, of
		// the one that signed it.
		signer int
		// thumbprint is the signer's, where known from the Entra portal.
		thumbprint string
	}{
		{"per-app-1cert.xml", "61318f71-9c58-4f75-b8af-329e649fcd80", date(2024, 6, 1), 0, ""},
		{"per-app-2certs.xml", "81c1df79-e153-4f9d-a101-8dcf04af6c2c", date(2025, 6, 1), -1, "9B6A4331329E0D853B20BD364CD7131D3652942F"},
		{"tenant-independent-4certs.xml", "", date(2026, 3, 1), 1, ""},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, f.name))
			require.NoError(t, err)
			m, err := samlmeta.Parse(in)
			require.NoError(t, err)
			v, err := m.Verify("")
			require.NoError(t, err, "the original signature must verify")
			want := f.thumbprint
			if want == "" {
				want = m.Certificates[f.signer].Thumbprint
			}
			assert.Equal(t, want, v.Signer.Thumbprint)
			choice, err := m.Choose("", &v.Signer, nil)
			require.NoError(t, err)
			assert.Equal(t, want, choice.Thumbprint, "the default is the signer")

			if f.tenant == "" {
				_, err := samlmeta.Strip(in, samlmeta.Options{TenantID: "61318f71-9c58-4f75-b8af-329e649fcd80", Now: f.clock})
				assert.ErrorIs(t, err, samlmeta.ErrWrongIssuer)
				assert.ErrorContains(t, err, "tenant-independent")
				return
			}
			res, err := samlmeta.Strip(in, samlmeta.Options{TenantID: f.tenant, Now: f.clock})
			require.NoError(t, err)
			assert.Equal(t, want, res.Chosen.Thumbprint, "strip keeps the signer by default")
			checkStripped(t, res.XML)
			assert.Contains(t, string(res.XML), "https://login.microsoftonline.com/"+f.tenant+"/saml2")

			res, err = samlmeta.Strip(in, samlmeta.Options{TenantID: f.tenant, Now: f.clock, TrustThumbprint: want})
			require.NoError(t, err)
			assert.True(t, res.Signature.Anchored)

			_, err = samlmeta.Strip(in, samlmeta.Options{TenantID: f.tenant, Now: f.clock, Cloud: samlmeta.CloudUSGov})
			assert.ErrorIs(t, err, samlmeta.ErrWrongEndpoint)

			// What PowerShell's Out-File makes of it still verifies.
			res, err = samlmeta.Strip(toUTF16(t, in, false), samlmeta.Options{TenantID: f.tenant, Now: f.clock, RequireSignature: true})
			require.NoError(t, err)
			assert.Equal(t, want, res.Chosen.Thumbprint)
		})
	}
	t.Run("adfs-not-entra.xml", func(t *testing.T) {
		in, err := os.ReadFile(filepath.Join(dir, "adfs-not-entra.xml"))
		require.NoError(t, err)
		_, err = samlmeta.Strip(in, samlmeta.Options{TenantID: "61318f71-9c58-4f75-b8af-329e649fcd80", Now: date(2024, 1, 1)})
		assert.ErrorIs(t, err, samlmeta.ErrNotEntra)
	})
}
