package settings

import (
	"regexp"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

// syncJobIDRe matches Graph synchronization job ids: template, hex, GUID.
var syncJobIDRe = regexp.MustCompile(`^[A-Za-z0-9]+\.[0-9a-f]+\.[0-9a-fA-F-]{36}$`)

// Adopt is the `adopt` section: resources that already exist and that a
// first deployment imports instead of creating. Creating them would fail:
// Identity Center allows one ABAC configuration per instance, and Entra
// refuses a second application with the same identifier URI. The run that
// imports also updates whatever differs from the configuration (pulumi
// preview shows it), so to take a resource over unchanged the configuration
// describes it as it exists. Once imported,
// the entries may stay: a resource the stack already holds is not imported
// again (docs/deploy.md).
type Adopt struct {
	// AccessControlAttributes is optional, default false: import the
	// Identity Center instance's existing ABAC configuration.
	AccessControlAttributes bool `yaml:"accessControlAttributes,omitempty" json:"accessControlAttributes,omitempty"`
	// EntraApplication is optional: an existing instance of the gallery
	// application to import, with its identifier URI and reply URLs.
	EntraApplication *AdoptEntraApplication `yaml:"entraApplication,omitempty" json:"entraApplication,omitempty"`
}

// AdoptEntraApplication names the existing gallery application.
type AdoptEntraApplication struct {
	// ApplicationObjectID is required: the application's object id.
	ApplicationObjectID string `yaml:"applicationObjectId" json:"applicationObjectId"`
	// ServicePrincipalObjectID is required: its enterprise application's
	// (service principal's) object id.
	ServicePrincipalObjectID string `yaml:"servicePrincipalObjectId" json:"servicePrincipalObjectId"`
	// SynchronizationJobID is optional: the provisioning job the
	// application has already (Provisioning > job id), imported instead of
	// creating a second.
	SynchronizationJobID string `yaml:"synchronizationJobId,omitempty" json:"synchronizationJobId,omitempty"`
}

func (c *Config) applyAdoptDefaults() {}

func (c *Config) validateAdopt() field.List {
	a := c.Adopt
	if a == nil {
		return nil
	}
	var errs field.List
	p := field.Path("adopt")
	if a.AccessControlAttributes && c.IdentityCenter == nil {
		errs.Add(field.Required(p.Child("accessControlAttributes"), "needs the identityCenter section: the instance whose configuration is imported"))
	}
	if e := a.EntraApplication; e != nil {
		ep := p.Child("entraApplication")
		if c.Entra == nil {
			errs.Add(field.Required(ep, "needs the entra section: the application's settings"))
		}
		if !guidRe.MatchString(e.ApplicationObjectID) {
			errs.Add(field.Invalid(ep.Child("applicationObjectId"), e.ApplicationObjectID, "must be the application's object id, a GUID"))
		}
		if !guidRe.MatchString(e.ServicePrincipalObjectID) {
			errs.Add(field.Invalid(ep.Child("servicePrincipalObjectId"), e.ServicePrincipalObjectID, "must be the service principal's object id, a GUID"))
		}
		if j := e.SynchronizationJobID; j != "" && !syncJobIDRe.MatchString(j) {
			errs.Add(field.Invalid(ep.Child("synchronizationJobId"), j, "must be a synchronization job id such as aWSSingleSignon.<hex>.<guid>"))
		}
	}
	return errs
}
