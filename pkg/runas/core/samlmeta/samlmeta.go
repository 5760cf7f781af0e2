package samlmeta

import (
	"encoding/xml"
	"errors"
	"fmt"
	"time"
)

// ErrThumbprintRequired: no certificate can be chosen by default because the
// signature does not verify, so nothing says which certificate is active.
var ErrThumbprintRequired = errors.New("a thumbprint is required")

// Options tune Strip.
type Options struct {
	// TenantID is required: the Entra tenant (GUID) the metadata must be
	// issued by.
	TenantID string
	// Cloud is optional, default CloudGlobal: whose sign-in host the
	// sign-on endpoints must be on.
	Cloud Cloud
	// Thumbprint is optional: the certificate to keep (any case; spaces and
	// colons ignored). Default: the certificate that signed the file, which
	// needs a signature that verifies.
	Thumbprint string
	// TrustThumbprint is optional: the trust anchor. When set, the signature
	// must verify with this certificate, or Strip fails.
	TrustThumbprint string
	// RequireSignature is optional, default false: fail when the signature
	// does not verify (with TrustThumbprint, against it; without, against
	// the file's own certificates).
	RequireSignature bool
	// Now is required: the time certificate validity is judged at.
	Now time.Time
}

// SignatureCheck is what became of the signature.
type SignatureCheck struct {
	// Verified is set when the signature verified; Verification says with
	// which certificate and whether that was the trust anchor.
	Verified bool
	Verification
	// Err is why it did not verify, when that was not fatal (no
	// TrustThumbprint, RequireSignature off, a Thumbprint given).
	Err error
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
	// Signature is what became of the input's signature.
	Signature SignatureCheck
	// Warnings are facts the caller should show: a kept certificate outside
	// its validity, a kept certificate that did not sign the file.
	Warnings []string
	// Transcoded names the input's encoding when it was not UTF-8.
	Transcoded string
}

// Strip checks Entra metadata against the expected tenant and cloud (and its
// signature, as asked) and reduces it to one IDPSSODescriptor with one
// signing certificate and the HTTP-Redirect and HTTP-POST SSO endpoints.
func Strip(data []byte, opts Options) (Result, error) {
	if opts.Now.IsZero() {
		return Result{}, fmt.Errorf("%w: the current time is required to judge certificate validity", ErrOptions)
	}
	cloud := opts.Cloud
	if cloud == "" {
		cloud = DefaultCloud
	}
	m, err := Parse(data)
	if err != nil {
		return Result{}, err
	}
	if err := m.CheckIssuer(opts.TenantID, cloud); err != nil {
		return Result{}, err
	}
	res := Result{Certificates: m.Certificates, Transcoded: m.Transcoded}
	v, verr := m.Verify(opts.TrustThumbprint)
	if verr != nil && (opts.RequireSignature || opts.TrustThumbprint != "") {
		return Result{}, verr
	}
	res.Signature = SignatureCheck{Verified: verr == nil, Verification: v, Err: verr}

	var signer *Certificate
	if verr == nil {
		signer = &v.Signer
	}
	choice, err := m.Choose(opts.Thumbprint, signer, verr)
	if err != nil {
		return Result{}, err
	}
	res.Chosen, res.Reason = choice.Certificate, choice.Reason
	if signer != nil && signer.Thumbprint != choice.Thumbprint {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the kept certificate %s did not sign this file; %s did", choice.Thumbprint, signer.Thumbprint))
	}
	if !choice.ValidAt(opts.Now) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the kept certificate %s is outside its validity: %s; it is now %s",
			choice.Thumbprint, choice.Validity(opts.Now), opts.Now.UTC().Format(time.RFC3339)))
	}
	if res.XML, err = m.stripped(choice.Certificate); err != nil {
		return Result{}, err
	}
	return res, nil
}

// Choice is the certificate to keep and why.
type Choice struct {
	Certificate
	Reason string
}

// Choose picks the certificate to keep: the one with thumbprint when given,
// else signer (the certificate the signature verified with). Without either
// it fails with ErrThumbprintRequired, quoting why the signature did not
// verify (sigErr): metadata lists active and inactive certificates alike,
// and only the signature says which one Entra signs with.
func (m *Metadata) Choose(thumbprint string, signer *Certificate, sigErr error) (Choice, error) {
	if tp := NormalizeThumbprint(thumbprint); tp != "" {
		c, ok := m.certificate(tp)
		if !ok {
			return Choice{}, fmt.Errorf("%w %s; the metadata has %s", ErrThumbprintMissing, tp, thumbprints(m.Certificates))
		}
		return Choice{Certificate: c, Reason: "the thumbprint asked for"}, nil
	}
	if signer != nil {
		return Choice{Certificate: *signer, Reason: "it signed this file, so it is the one Entra signs with"}, nil
	}
	why := "there is no signature"
	if sigErr != nil {
		why = sigErr.Error()
	}
	return Choice{}, fmt.Errorf("%w: without a verified signature nothing says which of the %d certificates (%s) Entra signs with (%s)",
		ErrThumbprintRequired, len(m.Certificates), thumbprints(m.Certificates), why)
}

// stripped writes the metadata Identity Center accepts, keeping c.
func (m *Metadata) stripped(c Certificate) ([]byte, error) {
	out := entityDescriptor{
		XMLNS:    NSMetadata,
		EntityID: m.EntityID,
		IDP: outIDP{
			Protocols: ProtocolSAML2,
			Key: outKey{
				Use:     "signing",
				KeyInfo: outKeyInfo{XMLNS: NSDSig, Cert: c.Base64},
			},
			SSO: []outEndpoint{
				{Binding: BindingRedir, Location: m.SingleSignOn[BindingRedir]},
				{Binding: BindingPOST, Location: m.SingleSignOn[BindingPOST]},
			},
		},
	}
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing stripped metadata: %w", err)
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
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
