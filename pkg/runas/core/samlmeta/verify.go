package samlmeta

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// ErrSignature is returned when the metadata's signature does not verify.
var ErrSignature = errors.New("the metadata signature does not verify")

// Verify checks the enveloped signature of the original metadata against
// its own signing certificates (or only the one with thumbprint, when
// given), at time now. It proves the file is intact, not who served it:
// fetch the metadata over HTTPS from login.microsoftonline.com for that.
// The tenant-wide file's signature names no certificate, so each candidate
// is tried in turn. It returns the certificate that verified.
func Verify(data []byte, thumbprint string, now time.Time) (Certificate, error) {
	_, certs, err := parse(data)
	if err != nil {
		return Certificate{}, err
	}
	if tp := normalizeThumbprint(thumbprint); tp != "" {
		var only []Certificate
		for _, c := range certs {
			if c.Thumbprint == tp {
				only = append(only, c)
			}
		}
		if len(only) == 0 {
			return Certificate{}, fmt.Errorf("%w %s; the metadata has %s", ErrThumbprintMissing, tp, thumbprints(certs))
		}
		certs = only
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(data, utf8BOM)); err != nil {
		return Certificate{}, fmt.Errorf("metadata is not well-formed XML: %w", err)
	}
	if doc.Root() == nil || doc.Root().FindElement("./Signature") == nil {
		return Certificate{}, fmt.Errorf("%w: there is no Signature", ErrSignature)
	}
	var last error
	for _, c := range certs {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c.x509}})
		ctx.Clock = dsig.NewFakeClockAt(now)
		if _, err := ctx.Validate(doc.Root().Copy()); err == nil {
			return c, nil
		} else {
			last = err
		}
	}
	return Certificate{}, fmt.Errorf("%w with any of %d certificates: %v", ErrSignature, len(certs), last)
}
