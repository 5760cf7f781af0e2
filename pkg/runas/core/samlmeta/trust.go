package samlmeta

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Errors for metadata that is Entra's shape but not the expected tenant's.
var (
	// ErrWrongIssuer: the entity ID is not the configured tenant's issuer.
	ErrWrongIssuer = errors.New("the metadata is not the configured tenant's")
	// ErrWrongEndpoint: a sign-on endpoint is not a Microsoft sign-in host
	// of the expected cloud.
	ErrWrongEndpoint = errors.New("a sign-on endpoint is not Microsoft's")
)

// CheckIssuer refuses metadata whose entity ID is not the issuer Entra
// gives tenantID in cloud, or whose SingleSignOnService endpoints are not
// https://<the cloud's sign-in host>/<tenantID>/... . It holds whether or
// not the signature is checked: a forged file that verifies against its own
// certificate still names someone else's endpoints.
func (m *Metadata) CheckIssuer(tenantID string, cloud Cloud) error {
	if err := CheckTenantID(tenantID); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if _, ok := clouds[cloud]; !ok {
		return fmt.Errorf("%w: cloud %q: must be global, usgov or china", ErrOptions, cloud)
	}
	want := cloud.Issuer(tenantID)
	if !strings.EqualFold(m.EntityID, want) {
		hint := ""
		if strings.Contains(strings.ToLower(m.EntityID), "{tenantid}") {
			hint = fmt.Sprintf(": this is the tenant-independent metadata; download the application's own, %s?appid=<application id>", cloud.MetadataURL(tenantID, ""))
		} else if other := cloudOfIssuer(m.EntityID); other != "" && (other == CloudChina) != (cloud == CloudChina) {
			hint = fmt.Sprintf(" (its issuer host is the %s cloud's; see the cloud option)", other)
		}
		return fmt.Errorf("%w: entityID %q is not %q%s", ErrWrongIssuer, m.EntityID, want, hint)
	}
	host := cloud.SignInHost()
	prefix := "/" + strings.ToLower(tenantID) + "/"
	for _, loc := range m.Endpoints {
		u, err := url.Parse(loc)
		if err != nil {
			return fmt.Errorf("%w: SingleSignOnService %q does not parse: %w", ErrWrongEndpoint, loc, err)
		}
		switch {
		case u.Scheme != "https":
			return fmt.Errorf("%w: SingleSignOnService %q is not https", ErrWrongEndpoint, loc)
		case u.User != nil || !strings.EqualFold(u.Host, host):
			return fmt.Errorf("%w: SingleSignOnService %q is not on %s, the %s cloud's sign-in host", ErrWrongEndpoint, loc, host, cloud)
		case !strings.HasPrefix(strings.ToLower(u.Path), prefix):
			return fmt.Errorf("%w: SingleSignOnService %q is not under %s%s", ErrWrongEndpoint, loc, host, prefix)
		}
	}
	return nil
}

// cloudOfIssuer names the cloud an issuer's host belongs to, for messages
// (global and usgov share theirs, so it says global for both).
func cloudOfIssuer(entityID string) Cloud {
	u, err := url.Parse(entityID)
	if err != nil {
		return ""
	}
	for _, c := range []Cloud{CloudGlobal, CloudChina} {
		if strings.EqualFold(u.Host, clouds[c].issuerHost) {
			return c
		}
	}
	return ""
}
