package samlmeta

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Cloud is a Microsoft Entra cloud instance: each has its own sign-in host
// and SAML issuer.
type Cloud string

// The Entra clouds. The issuers and hosts are listed at
// https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud
const (
	// CloudGlobal is the global (commercial) service.
	CloudGlobal Cloud = "global"
	// CloudUSGov is Azure Government.
	CloudUSGov Cloud = "usgov"
	// CloudChina is Microsoft Azure operated by 21Vianet.
	CloudChina Cloud = "china"
)

// DefaultCloud is the cloud assumed when none is named.
const DefaultCloud = CloudGlobal

type cloudEndpoints struct {
	// issuerHost is the host of the SAML issuer (the metadata's entity ID).
	issuerHost string
	// signInHost serves the SingleSignOnService endpoints.
	signInHost string
}

var clouds = map[Cloud]cloudEndpoints{
	CloudGlobal: {issuerHost: "sts.windows.net", signInHost: "login.microsoftonline.com"},
	CloudUSGov:  {issuerHost: "sts.windows.net", signInHost: "login.microsoftonline.us"},
	CloudChina:  {issuerHost: "sts.chinacloudapi.cn", signInHost: "login.partner.microsoftonline.cn"},
}

// Clouds lists the known clouds.
func Clouds() []Cloud { return []Cloud{CloudGlobal, CloudUSGov, CloudChina} }

// ParseCloud reads a cloud name (global, usgov or china).
func ParseCloud(s string) (Cloud, error) {
	c := Cloud(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := clouds[c]; !ok {
		return "", fmt.Errorf("cloud %q: must be global, usgov or china", s)
	}
	return c, nil
}

// SignInHost is the host that serves the cloud's SAML sign-on endpoints.
func (c Cloud) SignInHost() string { return clouds[c].signInHost }

// Issuer is the entity ID Entra gives tenantID's metadata in this cloud.
func (c Cloud) Issuer(tenantID string) string {
	return "https://" + clouds[c].issuerHost + "/" + strings.ToLower(tenantID) + "/"
}

// MetadataURL is where the application's own federation metadata is
// published.
func (c Cloud) MetadataURL(tenantID, appID string) string {
	u := "https://" + c.SignInHost() + "/" + strings.ToLower(tenantID) + "/federationmetadata/2007-06/federationmetadata.xml"
	if appID != "" {
		u += "?appid=" + url.QueryEscape(appID)
	}
	return u
}

// tenantIDRe is the shape of an Entra tenant ID: the issuer and the sign-on
// endpoints name the tenant by this GUID, never by a domain name.
var tenantIDRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)

// CheckTenantID refuses what is not a tenant GUID.
func CheckTenantID(tenantID string) error {
	if tenantID == "" {
		return errors.New("the tenant ID is required: the metadata's entity ID must name it")
	}
	if !tenantIDRe.MatchString(tenantID) {
		return fmt.Errorf("tenant ID %q: must be a GUID such as 61318f71-9c58-4f75-b8af-329e649fcd80", tenantID)
	}
	return nil
}
