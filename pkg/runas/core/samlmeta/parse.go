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
	"io"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Namespaces and bindings.
const (
	NSMetadata    = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig        = "http://www.w3.org/2000/09/xmldsig#"
	ProtocolSAML2 = "urn:oasis:names:tc:SAML:2.0:protocol"
	BindingPOST   = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	BindingRedir  = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// Byte order marks.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// reSave says how to get the metadata as bytes Parse reads.
const reSave = "download it again as served (curl -o federationmetadata.xml URL, or in PowerShell Invoke-WebRequest -Uri URL -OutFile federationmetadata.xml) or re-save it as UTF-8"

// Errors callers can test for.
var (
	// ErrMalformed: the input is not one well-formed XML document in an
	// encoding Parse reads.
	ErrMalformed = errors.New("malformed metadata")
	// ErrNotEntra: well-formed, but not Entra ID identity provider metadata.
	ErrNotEntra = errors.New("not Entra ID federation metadata")
	// ErrThumbprintMissing: no signing certificate has the thumbprint asked for.
	ErrThumbprintMissing = errors.New("no signing certificate has that thumbprint")
	// ErrOptions: the caller's options are incomplete or invalid.
	ErrOptions = errors.New("invalid options")
)

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

// Validity describes the certificate's validity at t in words, e.g.
// "expired on 2023-01-01 (valid 2020-01-01 to 2023-01-01)".
func (c Certificate) Validity(t time.Time) string {
	span := fmt.Sprintf("valid %s to %s", day(c.NotBefore), day(c.NotAfter))
	switch {
	case t.After(c.NotAfter):
		return fmt.Sprintf("expired on %s (%s)", day(c.NotAfter), span)
	case t.Before(c.NotBefore):
		return fmt.Sprintf("not valid until %s (%s)", day(c.NotBefore), span)
	}
	return span
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Metadata is Entra federation metadata, read and checked for shape.
type Metadata struct {
	// EntityID is the issuer the metadata names.
	EntityID string
	// Certificates are the distinct signing certificates of the
	// IDPSSODescriptor, in document order.
	Certificates []Certificate
	// SingleSignOn maps each binding to the first endpoint with it.
	SingleSignOn map[string]string
	// Endpoints are every SingleSignOnService location, in document order.
	Endpoints []string
	// Transcoded names the encoding the input was decoded from when it was
	// not UTF-8 (e.g. "UTF-16LE"); empty for UTF-8.
	Transcoded string

	doc *etree.Document
}

// input is the part of the metadata Parse reads. Elements are matched by
// namespace; look-alikes in other namespaces land in Other and are refused.
type input struct {
	XMLName   xml.Name
	EntityID  string          `xml:"entityID,attr"`
	Signature []struct{}      `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
	IDP       []idpDescriptor `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
	SP        []struct{}      `xml:"urn:oasis:names:tc:SAML:2.0:metadata SPSSODescriptor"`
	Other     []element       `xml:",any"`
}

type element struct{ XMLName xml.Name }

type idpDescriptor struct {
	Protocols string          `xml:"protocolSupportEnumeration,attr"`
	Keys      []keyDescriptor `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
	SSO       []endpoint      `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleSignOnService"`
	Other     []element       `xml:",any"`
}

type keyDescriptor struct {
	Use  string   `xml:"use,attr"`
	Cert []string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
}

type endpoint struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
}

// Parse reads Entra metadata: UTF-8 (with or without a byte order mark) or
// UTF-16 with a byte order mark (what PowerShell's Out-File writes). It
// refuses what is not exactly one well-formed XML document (a DOCTYPE,
// anything but comments after the root element) and what is not Entra
// identity provider metadata, including descriptors in a foreign namespace.
func Parse(data []byte) (*Metadata, error) {
	text, from, err := decode(data)
	if err != nil {
		return nil, err
	}
	charset := charsetReader(from != "")
	if err := checkDocument(text, charset); err != nil {
		return nil, err
	}
	var in input
	dec := xml.NewDecoder(bytes.NewReader(text))
	dec.CharsetReader = charset
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: not well-formed XML: %w", ErrMalformed, err)
	}
	m, err := readInput(in)
	if err != nil {
		return nil, err
	}
	m.Transcoded = from
	m.doc = etree.NewDocument()
	m.doc.ReadSettings.CharsetReader = charset
	if err := m.doc.ReadFromBytes(text); err != nil {
		return nil, fmt.Errorf("%w: not well-formed XML: %w", ErrMalformed, err)
	}
	return m, nil
}

// decode returns the document as UTF-8 and the encoding it was decoded
// from ("" when it already was UTF-8).
func decode(data []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case bytes.HasPrefix(data, bomUTF16LE):
		text, err := fromUTF16(data[2:], func(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 })
		return text, "UTF-16LE", err
	case bytes.HasPrefix(data, bomUTF16BE):
		text, err := fromUTF16(data[2:], func(b []byte) uint16 { return uint16(b[1]) | uint16(b[0])<<8 })
		return text, "UTF-16BE", err
	case len(data) >= 2 && (data[0] == 0 || data[1] == 0):
		return nil, "", fmt.Errorf("%w: the file looks like UTF-16 without a byte order mark; %s", ErrMalformed, reSave)
	}
	if !utf8.Valid(data) {
		return nil, "", fmt.Errorf("%w: the file is neither UTF-8 nor UTF-16 with a byte order mark; %s", ErrMalformed, reSave)
	}
	return data, "", nil
}

func fromUTF16(data []byte, unit func([]byte) uint16) ([]byte, error) {
	if len(data)%2 != 0 {
		return nil, fmt.Errorf("%w: UTF-16 text of odd length (%d bytes): the file is truncated; %s", ErrMalformed, len(data), reSave)
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = unit(data[2*i:])
	}
	var out bytes.Buffer
	out.Grow(len(units))
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		if utf16.IsSurrogate(r) {
			if i+1 >= len(units) {
				return nil, fmt.Errorf("%w: invalid UTF-16 (an unpaired surrogate at the end); %s", ErrMalformed, reSave)
			}
			r = utf16.DecodeRune(r, rune(units[i+1]))
			if r == utf8.RuneError {
				return nil, fmt.Errorf("%w: invalid UTF-16 (an unpaired surrogate at unit %d); %s", ErrMalformed, i, reSave)
			}
			i++
		}
		out.WriteRune(r)
	}
	return out.Bytes(), nil
}

// charsetReader accepts the encodings an XML declaration may name: UTF-8
// always, UTF-16 only when the bytes were decoded from UTF-16 already.
func charsetReader(transcoded bool) func(string, io.Reader) (io.Reader, error) {
	return func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii":
			return r, nil
		case "utf-16", "utf-16le", "utf-16be", "unicode":
			if transcoded {
				return r, nil
			}
			return nil, fmt.Errorf("the declaration says %s but the bytes are UTF-8", label)
		}
		return nil, fmt.Errorf("encoding %q is not supported (only UTF-8 and UTF-16)", label)
	}
}

// checkDocument walks the tokens: exactly one root element, no DOCTYPE,
// nothing but whitespace, comments and processing instructions around it.
func checkDocument(text []byte, charset func(string, io.Reader) (io.Reader, error)) error {
	dec := xml.NewDecoder(bytes.NewReader(text))
	dec.CharsetReader = charset
	depth, roots := 0, 0
	for {
		offset := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: not well-formed XML: %w", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return fmt.Errorf("%w: junk after the root element: a second element <%s> at byte %d", ErrMalformed, t.Name.Local, offset)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				where := "before"
				if roots > 0 {
					where = "after"
				}
				return fmt.Errorf("%w: junk %s the root element: text %q at byte %d", ErrMalformed, where, clip(string(bytes.TrimSpace(t))), offset)
			}
		case xml.Directive:
			return fmt.Errorf("%w: a <!%s> declaration at byte %d: metadata needs no DTD", ErrMalformed, clip(strings.Fields(string(t))[0]), offset)
		}
	}
	if roots == 0 {
		return fmt.Errorf("%w: no root element", ErrMalformed)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// readInput checks the shape and collects the certificates and endpoints.
func readInput(in input) (*Metadata, error) {
	if in.XMLName.Space != NSMetadata || in.XMLName.Local != "EntityDescriptor" {
		return nil, fmt.Errorf("%w: the root is {%s}%s, not a SAML 2.0 EntityDescriptor", ErrNotEntra, in.XMLName.Space, in.XMLName.Local)
	}
	for _, o := range in.Other {
		if o.XMLName.Local == "IDPSSODescriptor" || o.XMLName.Local == "SPSSODescriptor" || o.XMLName.Local == "Signature" {
			return nil, fmt.Errorf("%w: a %s in namespace %q, not %q", ErrNotEntra, o.XMLName.Local, o.XMLName.Space, namespaceOf(o.XMLName.Local))
		}
	}
	if len(in.IDP) == 0 {
		if len(in.SP) > 0 {
			return nil, fmt.Errorf("%w: this is service provider metadata (SPSSODescriptor); Identity Center needs the identity provider's", ErrNotEntra)
		}
		return nil, fmt.Errorf("%w: no IDPSSODescriptor", ErrNotEntra)
	}
	if strings.Contains(strings.ToLower(in.EntityID), "/adfs/") {
		return nil, fmt.Errorf("%w: entityID %q looks like AD FS", ErrNotEntra, in.EntityID)
	}
	if len(in.IDP) > 1 {
		return nil, fmt.Errorf("%w: %d IDPSSODescriptors, Entra writes one", ErrNotEntra, len(in.IDP))
	}
	if len(in.Signature) > 1 {
		return nil, fmt.Errorf("%w: %d Signatures on the EntityDescriptor, Entra writes one", ErrNotEntra, len(in.Signature))
	}
	idp := in.IDP[0]
	for _, o := range idp.Other {
		if o.XMLName.Local == "KeyDescriptor" || o.XMLName.Local == "SingleSignOnService" {
			return nil, fmt.Errorf("%w: a %s in namespace %q, not %q", ErrNotEntra, o.XMLName.Local, o.XMLName.Space, NSMetadata)
		}
	}
	m := &Metadata{EntityID: in.EntityID, SingleSignOn: map[string]string{}}
	seen := map[string]bool{}
	for _, k := range idp.Keys {
		if k.Use != "" && k.Use != "signing" {
			continue
		}
		for _, b64 := range k.Cert {
			c, err := parseCertificate(b64)
			if err != nil {
				return nil, fmt.Errorf("%w: a signing certificate of the IDPSSODescriptor: %w", ErrNotEntra, err)
			}
			if !seen[c.Thumbprint] {
				seen[c.Thumbprint] = true
				m.Certificates = append(m.Certificates, c)
			}
		}
	}
	if len(m.Certificates) == 0 {
		return nil, fmt.Errorf("%w: the IDPSSODescriptor has no signing certificate", ErrNotEntra)
	}
	for _, e := range idp.SSO {
		m.Endpoints = append(m.Endpoints, e.Location)
		if (e.Binding == BindingRedir || e.Binding == BindingPOST) && m.SingleSignOn[e.Binding] == "" {
			m.SingleSignOn[e.Binding] = e.Location
		}
	}
	for _, b := range []string{BindingRedir, BindingPOST} {
		if m.SingleSignOn[b] == "" {
			return nil, fmt.Errorf("%w: no SingleSignOnService with binding %s", ErrNotEntra, b)
		}
	}
	return m, nil
}

func namespaceOf(local string) string {
	if local == "Signature" {
		return NSDSig
	}
	return NSMetadata
}

// parseCertificate reads a base64 X.509 certificate as metadata carries it.
func parseCertificate(b64 string) (Certificate, error) {
	b64 = strings.Join(strings.Fields(b64), "")
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Certificate{}, fmt.Errorf("certificate is not base64: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Certificate{}, fmt.Errorf("certificate does not parse: %w", err)
	}
	sum := sha1.Sum(der)
	return Certificate{
		Thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])),
		Subject:    c.Subject.String(),
		NotBefore:  c.NotBefore,
		NotAfter:   c.NotAfter,
		Base64:     b64,
		x509:       c,
	}, nil
}

// certificate returns the signing certificate with thumbprint tp.
func (m *Metadata) certificate(tp string) (Certificate, bool) {
	for _, c := range m.Certificates {
		if c.Thumbprint == tp {
			return c, true
		}
	}
	return Certificate{}, false
}

// NormalizeThumbprint puts a thumbprint as people paste it (any case,
// spaces, colons, the invisible mark the Windows certificate dialog copies)
// into the form Certificate.Thumbprint has.
func NormalizeThumbprint(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", ":", "", "\u200e", "", "\u200f", "").Replace(strings.TrimSpace(s)))
}

func thumbprints(certs []Certificate) string {
	parts := make([]string, len(certs))
	for i, c := range certs {
		parts[i] = fmt.Sprintf("%s (%s to %s)", c.Thumbprint, day(c.NotBefore), day(c.NotAfter))
	}
	return strings.Join(parts, ", ")
}
