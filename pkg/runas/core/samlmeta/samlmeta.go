// Package samlmeta reduces Microsoft Entra ID federation metadata to what
// IAM Identity Center accepts.
//
// Entra's metadata lists every signing certificate, active or not, repeated
// in every descriptor (the tenant-wide file carries 12), plus two
// WS-Federation RoleDescriptors, a logout endpoint and an enveloped
// signature. Identity Center fails on it without a useful error ("Retry
// Failed Steps"). Strip keeps one IDPSSODescriptor with one signing
// certificate (chosen by thumbprint, or the newest valid one) and the two
// SingleSignOnService endpoints (HTTP-Redirect, HTTP-POST). The signature is
// dropped because stripping invalidates it; Verify checks it first.
//
// Entra federation metadata: https://learn.microsoft.com/en-us/entra/identity-platform/federation-metadata
// SAML metadata: https://docs.oasis-open.org/security/saml/v2.0/saml-metadata-2.0-os.pdf
package samlmeta

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Namespaces and bindings.
const (
	NSMetadata    = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig        = "http://www.w3.org/2000/09/xmldsig#"
	ProtocolSAML2 = "urn:oasis:names:tc:SAML:2.0:protocol"
	BindingPOST   = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	BindingRedir  = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// entraEntityID matches the issuers Entra ID uses (the tenant-independent
// file carries the literal {tenantid}).
var entraEntityID = regexp.MustCompile(`^https://(sts\.windows\.net|sts\.chinacloudapi\.cn|login\.microsoftonline\.us)/[^/]+/$`)

// Errors callers can test for.
var (
	ErrNotEntra          = errors.New("not Entra ID federation metadata")
	ErrThumbprintMissing = errors.New("no signing certificate has that thumbprint")
	ErrNoValidCert       = errors.New("no signing certificate is valid now")
)

// input is the part of the metadata Strip reads.
type input struct {
	XMLName    xml.Name
	EntityID   string          `xml:"entityID,attr"`
	Signature  *struct{}       `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
	IDP        []idpDescriptor `xml:"IDPSSODescriptor"`
	SP         []struct{}      `xml:"SPSSODescriptor"`
	RoleDescrs []struct{}      `xml:"RoleDescriptor"`
}

type idpDescriptor struct {
	Protocols string          `xml:"protocolSupportEnumeration,attr"`
	Keys      []keyDescriptor `xml:"KeyDescriptor"`
	SSO       []endpoint      `xml:"SingleSignOnService"`
}

type keyDescriptor struct {
	Use  string   `xml:"use,attr"`
	Cert []string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
}

type endpoint struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
}

// Certificate is one signing certificate found in the metadata.
type Certificate struct {
	// Thumbprint is the SHA-1 of the DER bytes in upper-case hex, as the
	// Entra portal and azuread.ServicePrincipalTokenSigningCertificate show it.
	Thumbprint string
	Subject    string
	NotBefore  time.Time
	NotAfter   time.Time
	// Base64 is the certificate as the metadata carries it.
	Base64 string
	x509   *x509.Certificate
}

// ValidAt reports whether t is within the certificate's validity.
func (c Certificate) ValidAt(t time.Time) bool { return !t.Before(c.NotBefore) && !t.After(c.NotAfter) }

// Options tune Strip.
type Options struct {
	// Thumbprint selects the certificate (any case; spaces and colons ignored).
	Thumbprint string
	// Now is the time certificates must be valid at; required when
	// Thumbprint is empty.
	Now time.Time
}

// Result is stripped metadata and how it was made.
type Result struct {
	// XML is the stripped metadata.
	XML []byte
	// Chosen is the signing certificate kept.
	Chosen Certificate
	// Reason says why Chosen was picked.
	Reason string
	// Certificates are every distinct signing certificate of the input.
	Certificates []Certificate
}

// Parse reads Entra metadata and returns its distinct signing certificates
// and SSO endpoints, refusing what is not Entra IdP metadata.
func parse(data []byte) (input, []Certificate, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var in input
	if err := xml.Unmarshal(data, &in); err != nil {
		return input{}, nil, fmt.Errorf("metadata is not well-formed XML: %w", err)
	}
	if in.XMLName.Space != NSMetadata || in.XMLName.Local != "EntityDescriptor" {
		return input{}, nil, fmt.Errorf("%w: the root is {%s}%s, not a SAML 2.0 EntityDescriptor", ErrNotEntra, in.XMLName.Space, in.XMLName.Local)
	}
	if len(in.IDP) == 0 {
		if len(in.SP) > 0 {
			return input{}, nil, fmt.Errorf("%w: this is service provider metadata (SPSSODescriptor); Identity Center needs the identity provider's", ErrNotEntra)
		}
		return input{}, nil, fmt.Errorf("%w: no IDPSSODescriptor", ErrNotEntra)
	}
	if !entraEntityID.MatchString(in.EntityID) {
		hint := ""
		if strings.Contains(strings.ToLower(in.EntityID), "/adfs/") {
			hint = " (it looks like AD FS)"
		}
		return input{}, nil, fmt.Errorf("%w: entityID %q is not an Entra ID issuer%s", ErrNotEntra, in.EntityID, hint)
	}
	if len(in.IDP) > 1 {
		return input{}, nil, fmt.Errorf("%w: %d IDPSSODescriptors, Entra writes one", ErrNotEntra, len(in.IDP))
	}
	seen := map[string]bool{}
	var certs []Certificate
	for _, k := range in.IDP[0].Keys {
		if k.Use != "" && k.Use != "signing" {
			continue
		}
		for _, b64 := range k.Cert {
			b64 = strings.Join(strings.Fields(b64), "")
			der, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return input{}, nil, fmt.Errorf("a signing certificate is not base64: %w", err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return input{}, nil, fmt.Errorf("a signing certificate does not parse: %w", err)
			}
			sum := sha1.Sum(der)
			tp := strings.ToUpper(hex.EncodeToString(sum[:]))
			if seen[tp] {
				continue
			}
			seen[tp] = true
			certs = append(certs, Certificate{Thumbprint: tp, Subject: c.Subject.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter, Base64: b64, x509: c})
		}
	}
	if len(certs) == 0 {
		return input{}, nil, fmt.Errorf("%w: the IDPSSODescriptor has no signing certificate", ErrNotEntra)
	}
	return in, certs, nil
}

// Strip reduces Entra metadata to one IDPSSODescriptor with one signing
// certificate and the HTTP-Redirect and HTTP-POST SSO endpoints.
func Strip(data []byte, opts Options) (Result, error) {
	in, certs, err := parse(data)
	if err != nil {
		return Result{}, err
	}
	sso := map[string]string{}
	for _, e := range in.IDP[0].SSO {
		if (e.Binding == BindingRedir || e.Binding == BindingPOST) && sso[e.Binding] == "" {
			sso[e.Binding] = e.Location
		}
	}
	for _, b := range []string{BindingRedir, BindingPOST} {
		if sso[b] == "" {
			return Result{}, fmt.Errorf("%w: no SingleSignOnService with binding %s", ErrNotEntra, b)
		}
	}

	res := Result{Certificates: certs}
	if tp := normalizeThumbprint(opts.Thumbprint); tp != "" {
		for _, c := range certs {
			if c.Thumbprint == tp {
				res.Chosen, res.Reason = c, "thumbprint "+tp+" as asked"
			}
		}
		if res.Chosen.Thumbprint == "" {
			return Result{}, fmt.Errorf("%w %s; the metadata has %s", ErrThumbprintMissing, tp, thumbprints(certs))
		}
	} else {
		if opts.Now.IsZero() {
			return Result{}, errors.New("choosing a certificate needs the current time or a thumbprint")
		}
		var valid []Certificate
		for _, c := range certs {
			if c.ValidAt(opts.Now) {
				valid = append(valid, c)
			}
		}
		if len(valid) == 0 {
			return Result{}, fmt.Errorf("%w (%s); the metadata has %s", ErrNoValidCert, opts.Now.UTC().Format(time.RFC3339), thumbprints(certs))
		}
		sort.SliceStable(valid, func(i, j int) bool { return valid[i].NotBefore.After(valid[j].NotBefore) })
		res.Chosen = valid[0]
		res.Reason = fmt.Sprintf("the newest of %d certificates valid at %s", len(valid), opts.Now.UTC().Format(time.RFC3339))
	}

	out := entityDescriptor{
		XMLNS:    NSMetadata,
		EntityID: in.EntityID,
		IDP: outIDP{
			Protocols: ProtocolSAML2,
			Key: outKey{
				Use:     "signing",
				KeyInfo: outKeyInfo{XMLNS: NSDSig, Cert: res.Chosen.Base64},
			},
			SSO: []outEndpoint{
				{Binding: BindingRedir, Location: sso[BindingRedir]},
				{Binding: BindingPOST, Location: sso[BindingPOST]},
			},
		},
	}
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return Result{}, fmt.Errorf("writing stripped metadata: %w", err)
	}
	res.XML = append([]byte(xml.Header), append(body, '\n')...)
	return res, nil
}

// Output structure: exactly what Identity Center needs.
type entityDescriptor struct {
	XMLName  xml.Name `xml:"EntityDescriptor"`
	XMLNS    string   `xml:"xmlns,attr"`
	EntityID string   `xml:"entityID,attr"`
	IDP      outIDP   `xml:"IDPSSODescriptor"`
}

type outIDP struct {
	Protocols string        `xml:"protocolSupportEnumeration,attr"`
	Key       outKey        `xml:"KeyDescriptor"`
	SSO       []outEndpoint `xml:"SingleSignOnService"`
}

type outKey struct {
	Use     string     `xml:"use,attr"`
	KeyInfo outKeyInfo `xml:"KeyInfo"`
}

type outKeyInfo struct {
	XMLNS string `xml:"xmlns,attr"`
	Cert  string `xml:"X509Data>X509Certificate"`
}

type outEndpoint struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
}

func normalizeThumbprint(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", ":", "", "\u200e", "").Replace(strings.TrimSpace(s)))
}

func thumbprints(certs []Certificate) string {
	parts := make([]string, len(certs))
	for i, c := range certs {
		parts[i] = fmt.Sprintf("%s (%s to %s)", c.Thumbprint, c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"))
	}
	return strings.Join(parts, ", ")
}
