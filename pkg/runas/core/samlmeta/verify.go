package samlmeta

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signature errors. Every failure wraps ErrSignature; the others say what
// failed.
var (
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("the metadata signature does not verify")
	// ErrDigestMismatch: the SignedInfo is intact and signed by the
	// certificate, but the content it covers changed: the file was edited.
	ErrDigestMismatch = errors.New("the signed content was changed after signing (digest mismatch)")
	// ErrKeyMismatch: the signature value over the SignedInfo does not match
	// the certificate's key: another key signed it, or the SignedInfo changed.
	ErrKeyMismatch = errors.New("the signature value does not match the certificate's key")
	// ErrReformatted: the file verifies once whitespace between elements is
	// removed: it was re-indented or pretty-printed after signing, not
	// otherwise changed.
	ErrReformatted = errors.New("the file was reformatted after signing (whitespace between elements changed; nothing else)")
	// ErrUntrustedSigner: the trust anchor the caller named did not sign it.
	ErrUntrustedSigner = errors.New("not signed by the trusted certificate")
)

// goxmldsig reports a digest mismatch with this text (and no error value);
// Verify checks the SignatureValue's presence first, the other case that
// gives it, so the text means a digest mismatch.
const dsigDigestMismatch = "Signature could not be verified"

// Verification is a signature that verified.
type Verification struct {
	// Signer is the certificate the signature verified with. Its validity
	// is not part of the verification: compare Signer.ValidAt yourself.
	Signer Certificate
	// Anchored is set when Signer is the trust anchor the caller named. When
	// it is not, the signature proves only that the file is intact and was
	// signed by a certificate it carries itself, not that Microsoft signed it.
	Anchored bool
}

// Verify checks the enveloped signature of the metadata. With
// trustThumbprint it must verify with that certificate (the trust anchor,
// e.g. the application's signing certificate from the stack outputs);
// without, with the certificate the Signature names (or, when it names
// none, any of the metadata's signing certificates), which proves only
// self-consistency. Certificate validity is judged apart: an expired signer
// still verifies. Failures say what failed: a digest mismatch (edited), a
// reformatted file, a key mismatch, and for every certificate tried.
func (m *Metadata) Verify(trustThumbprint string) (Verification, error) {
	if m == nil || m.doc == nil || m.doc.Root() == nil {
		return Verification{}, fmt.Errorf("%w: verifying needs metadata read by Parse", ErrOptions)
	}
	root := m.doc.Root()
	sig := signatureElement(root)
	if sig == nil {
		return Verification{}, fmt.Errorf("%w: there is no Signature", ErrSignature)
	}
	if sig.FindElement("./SignatureValue") == nil {
		return Verification{}, fmt.Errorf("%w: the Signature has no SignatureValue", ErrSignature)
	}
	named, err := keyInfoCertificate(sig)
	if err != nil {
		return Verification{}, fmt.Errorf("%w: the Signature's KeyInfo: %w", ErrSignature, err)
	}
	var candidates []Certificate
	anchored := false
	if tp := NormalizeThumbprint(trustThumbprint); tp != "" {
		anchor, ok := m.certificate(tp)
		if !ok {
			return Verification{}, fmt.Errorf("%w: %w: the trusted certificate %s is not among the metadata's signing certificates %s", ErrSignature, ErrUntrustedSigner, tp, thumbprints(m.Certificates))
		}
		if named != nil && named.Thumbprint != tp {
			return Verification{}, fmt.Errorf("%w: %w: the Signature names certificate %s (%s), not the trusted %s", ErrSignature, ErrUntrustedSigner, named.Thumbprint, named.Subject, tp)
		}
		candidates, anchored = []Certificate{anchor}, true
	} else if named != nil {
		c, ok := m.certificate(named.Thumbprint)
		if !ok {
			return Verification{}, fmt.Errorf("%w: the Signature names certificate %s (%s), which the IDPSSODescriptor does not list as a signing certificate", ErrSignature, named.Thumbprint, named.Subject)
		}
		candidates = []Certificate{c}
	} else {
		candidates = m.Certificates
	}

	var attempts []attempt
	for _, c := range candidates {
		err := verifyWith(root, c)
		if err == nil {
			return Verification{Signer: c, Anchored: anchored}, nil
		}
		attempts = append(attempts, attempt{cert: c, err: classify(err)})
	}
	flat := root.Copy()
	dropWhitespace(flat)
	for _, c := range candidates {
		if verifyWith(flat, c) == nil {
			return Verification{}, fmt.Errorf("%w: %w: it verifies with certificate %s once that whitespace is removed; download the file again and do not open and save it in an editor", ErrSignature, ErrReformatted, c.Thumbprint)
		}
	}
	return Verification{}, &signatureError{attempts: attempts}
}

// verifyWith checks the signature on root with c alone.
func verifyWith(root *etree.Element, c Certificate) error {
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c.x509}})
	// goxmldsig refuses a certificate outside its validity before it looks
	// at the signature. Validity is reported apart, so ask at a time the
	// certificate is valid.
	ctx.Clock = dsig.NewFakeClockAt(c.NotBefore)
	_, err := ctx.Validate(root)
	return err
}

// classify turns goxmldsig's errors into ours.
func classify(err error) error {
	switch {
	case errors.Is(err, rsa.ErrVerification):
		return fmt.Errorf("%w (another key signed the file, or its SignedInfo was changed)", ErrKeyMismatch)
	case err.Error() == dsigDigestMismatch:
		return fmt.Errorf("%w: the file was edited", ErrDigestMismatch)
	}
	return err
}

type attempt struct {
	cert Certificate
	err  error
}

// signatureError reports every certificate tried and why each failed.
type signatureError struct{ attempts []attempt }

func (e *signatureError) Error() string {
	if len(e.attempts) == 1 {
		a := e.attempts[0]
		return fmt.Sprintf("%v with certificate %s: %v", ErrSignature, a.cert.Thumbprint, a.err)
	}
	parts := make([]string, len(e.attempts))
	for i, a := range e.attempts {
		parts[i] = fmt.Sprintf("%s: %v", a.cert.Thumbprint, a.err)
	}
	return fmt.Sprintf("%v with any of its %d certificates (%s)", ErrSignature, len(e.attempts), strings.Join(parts, "; "))
}

func (e *signatureError) Unwrap() []error {
	errs := []error{ErrSignature}
	for _, a := range e.attempts {
		errs = append(errs, a.err)
	}
	return errs
}

// signatureElement is the enveloped Signature: a child of the root in the
// XML Signature namespace.
func signatureElement(root *etree.Element) *etree.Element {
	for _, e := range root.ChildElements() {
		if e.Tag == "Signature" && e.NamespaceURI() == NSDSig {
			return e
		}
	}
	return nil
}

// keyInfoCertificate is the certificate the Signature names in its KeyInfo,
// or nil when it names none.
func keyInfoCertificate(sig *etree.Element) (*Certificate, error) {
	el := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
	if el == nil {
		return nil, nil
	}
	c, err := parseCertificate(el.Text())
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// dropWhitespace removes whitespace-only text between elements, what
// re-indenting adds or changes.
func dropWhitespace(el *etree.Element) {
	children := el.ChildElements()
	if len(children) > 0 {
		for i := len(el.Child) - 1; i >= 0; i-- {
			if cd, ok := el.Child[i].(*etree.CharData); ok && strings.TrimSpace(cd.Data) == "" {
				el.RemoveChildAt(i)
			}
		}
	}
	for _, c := range children {
		dropWhitespace(c)
	}
}
