package settings

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// Entra configures the Entra ID side of the chain.
type Entra struct {
	// TenantID is required: the Entra tenant (a GUID).
	TenantID string `yaml:"tenantId" json:"tenantId"`
	// ApplicationName is optional, default "AWS IAM Identity Center": the
	// display name of the gallery application instance.
	ApplicationName string `yaml:"applicationName,omitempty" json:"applicationName,omitempty"`
	// IdentifierURI is required: Identity Center's issuer URL from its
	// "service provider metadata", https://<region>.signin.aws/platform/saml/<id>.
	IdentifierURI string `yaml:"identifierUri" json:"identifierUri"`
	// ACSURLs are required: Identity Center's exact ACS URL(s). The gallery
	// application's wildcard covers the wrong domain, so each is registered.
	ACSURLs []string `yaml:"acsUrls" json:"acsUrls"`
	// AppRole is optional, default "User": the application role the role
	// groups are assigned with.
	AppRole string `yaml:"appRole,omitempty" json:"appRole,omitempty"`
	// SigningCertificateEndDate is optional (RFC 3339): when the token
	// signing certificate expires; Entra's default is three years.
	SigningCertificateEndDate string `yaml:"signingCertificateEndDate,omitempty" json:"signingCertificateEndDate,omitempty"`
	// SCIM is required: provisioning into Identity Center.
	SCIM SCIM `yaml:"scim" json:"scim"`
	// AttributeSync is optional: how `runas entra sync-attributes` writes
	// role values.
	AttributeSync AttributeSync `yaml:"attributeSync" json:"attributeSync"`
}

// SCIM configures the provisioning job. The token is a secret: Pulumi
// config `ssm-runas:scimToken` (set with --secret) for the stack.
type SCIM struct {
	// Endpoint is required: Identity Center's SCIM endpoint,
	// https://scim.<region>.amazonaws.com/<id>/scim/v2.
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	// SourceAttribute is optional: the Entra user attribute holding the Run
	// As value. Per-role default extensionAttribute1 (written by
	// `runas entra sync-attributes` from group membership). Per-user and
	// domain-controller: default onPremisesSamAccountName (the person's own
	// AD name, synced by Entra Connect or Cloud Sync); it must equal
	// perUser.userSource, whose rule allows mailNickname and
	// extensionAttribute1-15 besides.
	SourceAttribute string `yaml:"sourceAttribute,omitempty" json:"sourceAttribute,omitempty"`
	// Mapping is optional: how the provisioning job turns the source into
	// the SCIM value. "direct" copies it ([extensionAttribute1]);
	// "lowercase" is the expression ToLower([source], ), since Linux user
	// names are lower-case while AD names often are not. Default direct for
	// per-role (the sync writes valid names), lowercase for the per-user
	// models, which require it.
	Mapping string `yaml:"mapping,omitempty" json:"mapping,omitempty"`
	// TargetAttribute is optional, default the enterprise costCenter: the
	// SCIM attribute Identity Center stores it in. It must be the attribute
	// identityCenter.runAsSource reads.
	TargetAttribute string `yaml:"targetAttribute,omitempty" json:"targetAttribute,omitempty"`
	// TemplateID is optional: the synchronization template the job is
	// created from when it cannot be looked up. Default aWSSingleSignon
	// (not "aws", the legacy single-account application's).
	TemplateID string `yaml:"templateId,omitempty" json:"templateId,omitempty"`
}

// AttributeSync configures the role attribute sync.
type AttributeSync struct {
	// RevokedValue is optional, default ssm-revoked: the value written for
	// people who lost every role. Identity Center keeps an attribute's old
	// value when it is cleared, so revoking needs a value change; this one
	// names an account that exists on no host, so sessions fail closed.
	RevokedValue string `yaml:"revokedValue,omitempty" json:"revokedValue,omitempty"`
}

// Entra defaults and constants.
const (
	DefaultApplicationName = "AWS IAM Identity Center"
	DefaultAppRole         = "User"
	DefaultSourceAttribute = "extensionAttribute1"
	// DefaultPerUserSourceAttribute is the per-user models' source: the
	// person's AD sAMAccountName as Entra Connect / Cloud Sync carry it.
	DefaultPerUserSourceAttribute = "onPremisesSamAccountName"
	// MappingDirect and MappingLowercase are the values of scim.mapping.
	MappingDirect          = "direct"
	MappingLowercase       = "lowercase"
	EnterpriseUserSchema   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	DefaultTargetAttribute = EnterpriseUserSchema + ":costCenter"
	// DefaultSyncTemplateID is the synchronization template of the gallery
	// application "AWS IAM Identity Center (successor to AWS Single
	// Sign-On)". The template "aws" belongs to the legacy single-account
	// application and is refused with BadRequest.
	DefaultSyncTemplateID = "aWSSingleSignon"
	DefaultRevokedValue   = "ssm-revoked"
)

func (c *Config) applyEntraDefaults() {
	e := c.Entra
	if e == nil {
		return
	}
	if e.ApplicationName == "" {
		e.ApplicationName = DefaultApplicationName
	}
	if e.AppRole == "" {
		e.AppRole = DefaultAppRole
	}
	perUser := c.PerUserModel()
	if e.SCIM.SourceAttribute == "" {
		e.SCIM.SourceAttribute = DefaultSourceAttribute
		if perUser {
			e.SCIM.SourceAttribute = DefaultPerUserSourceAttribute
		}
	}
	if e.SCIM.Mapping == "" {
		e.SCIM.Mapping = MappingDirect
		if perUser {
			e.SCIM.Mapping = MappingLowercase
		}
	}
	if e.SCIM.TargetAttribute == "" {
		e.SCIM.TargetAttribute = DefaultTargetAttribute
	}
	if e.SCIM.TemplateID == "" {
		e.SCIM.TemplateID = DefaultSyncTemplateID
	}
	if e.AttributeSync.RevokedValue == "" {
		e.AttributeSync.RevokedValue = DefaultRevokedValue
	}
}

var (
	guidRe          = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)
	scimEndpointRe  = regexp.MustCompile(`^https://scim\.[a-z0-9-]+\.amazonaws\.com/[A-Za-z0-9-]+/scim/v2/?$`)
	extensionAttrRe = regexp.MustCompile(`^extensionAttribute([1-9]|1[0-5])$`)
	sourceAttrRe    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	targetAttrRe    = regexp.MustCompile(`^(urn:ietf:params:scim:schemas:[A-Za-z0-9:.]+:)?[A-Za-z][A-Za-z0-9.]*$`)
	appRoleRe       = regexp.MustCompile(`^[A-Za-z0-9_. -]{1,120}$`)
	templateIDRe    = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	// Identity Center's sign-in domains: current, legacy and dual-stack.
	signinDomains = `(signin\.aws|signin\.aws\.amazon\.com|sso\.signin\.aws)`
)

// PerUserAttributes are the per-user models' possible sources besides
// extensionAttribute1-15: attributes of the person's own profile.
var PerUserAttributes = []string{DefaultPerUserSourceAttribute, "mailNickname"}

// PerUserModel reports whether each person's value comes from their own
// profile (per-user, domain-controller) rather than from role groups.
func (c *Config) PerUserModel() bool {
	return c.Model == ModelPerUser || c.Model == ModelDomainController
}

// RunAsFromGroups reports whether the Run As values are computed from role
// group membership and written by `runas entra sync-attributes` (per-role).
func (c *Config) RunAsFromGroups() bool { return c.Model == ModelPerRole }

// SourceAttributeIsExtension reports whether the Run As value lives in an
// onPremisesExtensionAttributes slot, the only kind the sync can write.
func (e *Entra) SourceAttributeIsExtension() bool {
	return extensionAttrRe.MatchString(e.SCIM.SourceAttribute)
}

// ABACPathFor returns the identity store path (${path:...}) at which
// Identity Center keeps a SCIM attribute, or "" when it has no fixed path.
func ABACPathFor(scimAttribute string) string {
	if name, ok := strings.CutPrefix(scimAttribute, EnterpriseUserSchema+":"); ok {
		return "${path:enterprise." + name + "}"
	}
	if !strings.Contains(scimAttribute, ":") {
		return "${path:" + scimAttribute + "}"
	}
	return ""
}

func (c *Config) validateEntra() field.List {
	var errs field.List
	e := c.Entra
	if e == nil {
		return nil
	}
	p := field.Path("entra")
	if !guidRe.MatchString(e.TenantID) {
		errs.Add(field.Invalid(p.Child("tenantId"), e.TenantID, "must be the tenant id, a GUID"))
	}
	region := `[a-z0-9-]+`
	if c.IdentityCenter != nil && regionRe.MatchString(c.IdentityCenter.Region) {
		region = regexp.QuoteMeta(c.IdentityCenter.Region)
	}
	issuerRe := regexp.MustCompile(`^https://` + region + `\.` + signinDomains + `/platform/saml/[A-Za-z0-9-]+$`)
	acsRe := regexp.MustCompile(`^https://` + region + `\.` + signinDomains + `/platform/saml/acs/[A-Za-z0-9-]+$`)
	if !issuerRe.MatchString(e.IdentifierURI) {
		errs.Add(field.Invalid(p.Child("identifierUri"), e.IdentifierURI,
			"must be Identity Center's issuer URL in its region, https://<region>.signin.aws/platform/saml/<id>"))
	}
	if len(e.ACSURLs) == 0 {
		errs.Add(field.Required(p.Child("acsUrls"), "is required: Identity Center's exact ACS URL(s); the gallery wildcard covers the wrong domain"))
	}
	for i, u := range e.ACSURLs {
		if !acsRe.MatchString(u) {
			errs.Add(field.Invalid(p.Child("acsUrls").Index(i), u,
				"must be an exact ACS URL in Identity Center's region: https://<region>.signin.aws/platform/saml/acs/<id> (or .signin.aws.amazon.com, .sso.signin.aws)"))
		}
	}
	if !appRoleRe.MatchString(e.AppRole) {
		errs.Add(field.Invalid(p.Child("appRole"), e.AppRole, "must be an application role's display name"))
	}
	if d := e.SigningCertificateEndDate; d != "" && !rfc3339Re.MatchString(d) {
		errs.Add(field.Invalid(p.Child("signingCertificateEndDate"), d, "must be RFC 3339, e.g. 2029-01-31T00:00:00Z"))
	}
	sp := p.Child("scim")
	if !scimEndpointRe.MatchString(e.SCIM.Endpoint) {
		errs.Add(field.Invalid(sp.Child("endpoint"), e.SCIM.Endpoint, "must be Identity Center's SCIM endpoint, https://scim.<region>.amazonaws.com/<id>/scim/v2"))
	}
	errs.Extend(c.validateSCIMMapping(sp))
	if !templateIDRe.MatchString(e.SCIM.TemplateID) {
		errs.Add(field.Invalid(sp.Child("templateId"), e.SCIM.TemplateID, "must be a synchronization template id such as aWSSingleSignon"))
	} else if e.SCIM.TemplateID == "aws" {
		errs.Add(field.Invalid(sp.Child("templateId"), e.SCIM.TemplateID, "is the legacy single-account application's template (BadRequest); use aWSSingleSignon"))
	}
	rv := e.AttributeSync.RevokedValue
	rp := p.Child("attributeSync").Child("revokedValue")
	if err := username.Validate(rv); err != nil {
		errs.Add(field.Invalid(rp, rv, err.Error()))
	} else {
		if rv == c.SessionPreferences.RunAsDefaultUser {
			errs.Add(field.Invalid(rp, rv, "must not be sessionPreferences.runAsDefaultUser: revoked people must land nowhere"))
		}
		for i, r := range c.Roles {
			if r.LinuxUser == rv {
				errs.Add(field.Invalid(rp, rv, fmt.Sprintf("is roles[%d].linuxUser: revoked people must land nowhere", i)))
			}
		}
	}
	return errs
}

// validateSCIMMapping checks that the mapping's source suits the model and
// that its target is the attribute Identity Center's ABAC reads.
func (c *Config) validateSCIMMapping(sp field.Path) field.List {
	var errs field.List
	e := c.Entra
	src := e.SCIM.SourceAttribute
	// Which attributes the per-user models may read is perUser.userSource's
	// rule (per_user.go), which also requires the two to agree.
	if !sourceAttrRe.MatchString(src) {
		errs.Add(field.Invalid(sp.Child("sourceAttribute"), src, "must be an Entra user attribute name such as extensionAttribute1"))
	}
	switch m := e.SCIM.Mapping; {
	case m != MappingDirect && m != MappingLowercase:
		errs.Add(field.Invalid(sp.Child("mapping"), m, "must be direct or lowercase"))
	case c.PerUserModel() && m != MappingLowercase:
		errs.Add(field.Invalid(sp.Child("mapping"), m, fmt.Sprintf(
			"must be lowercase for model %s: Linux user names are lower-case, and a mixed-case AD name would give a Run As value no host accepts", c.Model)))
	}
	target := e.SCIM.TargetAttribute
	if !targetAttrRe.MatchString(target) {
		errs.Add(field.Invalid(sp.Child("targetAttribute"), target, "must be a SCIM attribute name"))
		return errs
	}
	want := ABACPathFor(target)
	switch {
	case want == "":
		errs.Add(field.Invalid(sp.Child("targetAttribute"), target,
			"has no ${path:...} Identity Center's ABAC can read: use a core or enterprise extension attribute such as "+DefaultTargetAttribute))
	case c.IdentityCenter != nil && want != c.IdentityCenter.RunAsSource:
		errs.Add(field.Invalid(sp.Child("targetAttribute"), target, fmt.Sprintf(
			"Identity Center keeps it at %s, but identityCenter.runAsSource reads %s: SSMSessionRunAs would stay empty", want, c.IdentityCenter.RunAsSource)))
	}
	return errs
}

var rfc3339Re = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
