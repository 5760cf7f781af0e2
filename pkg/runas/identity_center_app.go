package runas

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-azuread/sdk/v5/go/azuread"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// IdentityCenterAppType is the component's type token.
const IdentityCenterAppType = "ssm-runas:entra:IdentityCenterApp"

// GalleryTemplateID is the Entra application template "AWS IAM Identity
// Center (successor to AWS Single Sign-On)".
const GalleryTemplateID = "21ed01d2-ec13-4e9e-86c1-cd546719ebc4"

// Defaults of IdentityCenterAppArgs.
const (
	// DefaultAppRoleName is the gallery application's role for people. Its
	// value is null, so the role is found by display name.
	DefaultAppRoleName = settings.DefaultAppRole
	// DefaultSyncTemplateID is the gallery application's synchronization
	// template ("aws" is the legacy single-account application's).
	DefaultSyncTemplateID = settings.DefaultSyncTemplateID
)

// SAML mode of the service principal.
const singleSignOnModeSAML = "saml"

// AdoptedApplication names an instance of the gallery application that
// already exists. Entra refuses a second application with the same
// identifier URI, so an organization that set the application up by hand
// imports it instead.
type AdoptedApplication struct {
	// ApplicationObjectID is required: the application's object id.
	ApplicationObjectID string
	// ServicePrincipalObjectID is required: its service principal's object id.
	ServicePrincipalObjectID string
	// SynchronizationJobID is optional: the provisioning job that exists
	// already (e.g. aWSSingleSignon.<hex>.<guid>), imported instead of
	// creating a second one.
	SynchronizationJobID string
}

// IdentityCenterAppArgs configure the Entra side of the chain, through the
// azuread provider of the caller (the default one unless pulumi.Provider
// says otherwise).
type IdentityCenterAppArgs struct {
	// TenantID is required.
	TenantID string
	// DisplayName is required: the application's name in Entra.
	DisplayName string
	// IdentifierURI is required: Identity Center's issuer URL.
	IdentifierURI string
	// ACSURLs are required: Identity Center's exact ACS URLs.
	ACSURLs []string
	// AppRoleName is optional, default "User": the display name of the
	// application role groups are assigned with.
	AppRoleName string
	// SigningCertificateEndDate is optional (RFC 3339); Entra's default is
	// three years.
	SigningCertificateEndDate string
	// SCIMEndpoint is required: Identity Center's SCIM endpoint.
	SCIMEndpoint string
	// SCIMToken is optional: Identity Center's SCIM token (a secret). Nil
	// until Identity Center has issued it; the provisioning secret and job
	// are created only with the real token, since a job started without it
	// goes to quarantine.
	SCIMToken pulumi.StringInput
	// SyncTemplateID is optional, default aWSSingleSignon.
	SyncTemplateID string
	// Groups are optional: display names of the Entra groups to assign to
	// the application. They must exist in Entra.
	Groups []string
	// Adopt is optional: import an existing instance of the application.
	Adopt *AdoptedApplication
}

// IdentityCenterApp is the gallery application in SAML mode with its
// signing certificate, reply URLs, SCIM job and group assignments.
type IdentityCenterApp struct {
	pulumi.ResourceState

	ApplicationObjectID      pulumi.StringOutput `pulumi:"applicationObjectId"`
	ServicePrincipalObjectID pulumi.StringOutput `pulumi:"servicePrincipalObjectId"`
	ClientID                 pulumi.StringOutput `pulumi:"clientId"`
	// SigningCertificateThumbprint is the certificate the component added.
	// No provider resource makes it the preferred signing key: set
	// preferredTokenSigningKeyThumbprint to it (docs/deploy.md).
	SigningCertificateThumbprint pulumi.StringOutput `pulumi:"signingCertificateThumbprint"`
	// MetadataURL is the application's federation metadata.
	MetadataURL pulumi.StringOutput `pulumi:"metadataUrl"`
	// ProvisioningConfigured is false until the SCIM token was given.
	ProvisioningConfigured pulumi.BoolOutput `pulumi:"provisioningConfigured"`
}

// withDefaults returns a copy of a with defaults applied; it never changes
// the caller's args.
func (a IdentityCenterAppArgs) withDefaults() IdentityCenterAppArgs {
	if a.AppRoleName == "" {
		a.AppRoleName = DefaultAppRoleName
	}
	if a.SyncTemplateID == "" {
		a.SyncTemplateID = DefaultSyncTemplateID
	}
	a.ACSURLs = slices.Clone(a.ACSURLs)
	a.Groups = slices.Clone(a.Groups)
	return a
}

func (a IdentityCenterAppArgs) validate() error {
	if a.TenantID == "" || a.DisplayName == "" || a.IdentifierURI == "" || len(a.ACSURLs) == 0 || a.SCIMEndpoint == "" {
		return errors.New("NewIdentityCenterApp: TenantID, DisplayName, IdentifierURI, ACSURLs and SCIMEndpoint are required")
	}
	if ad := a.Adopt; ad != nil && (ad.ApplicationObjectID == "" || ad.ServicePrincipalObjectID == "") {
		return errors.New("NewIdentityCenterApp: Adopt needs ApplicationObjectID and ServicePrincipalObjectID")
	}
	return nil
}

// importID returns the option that imports id when adopting, else nothing.
func importID(adopt bool, id string) []pulumi.ResourceOption {
	if !adopt {
		return nil
	}
	return []pulumi.ResourceOption{pulumi.Import(pulumi.ID(id))}
}

// NewIdentityCenterApp registers the application and its parts.
func NewIdentityCenterApp(ctx *pulumi.Context, name string, args *IdentityCenterAppArgs, opts ...pulumi.ResourceOption) (*IdentityCenterApp, error) {
	if args == nil {
		return nil, errors.New("NewIdentityCenterApp: args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	comp := &IdentityCenterApp{}
	if err := ctx.RegisterComponentResource(IdentityCenterAppType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	adopt := a.Adopt != nil
	var ad AdoptedApplication
	if adopt {
		ad = *a.Adopt
	}

	app, err := azuread.NewApplicationFromTemplate(ctx, name+"-app", &azuread.ApplicationFromTemplateArgs{
		TemplateId:  pulumi.String(GalleryTemplateID),
		DisplayName: pulumi.String(a.DisplayName),
	}, append([]pulumi.ResourceOption{parent}, importID(adopt, fmt.Sprintf("/applicationTemplates/%s/instantiate/%s/%s",
		GalleryTemplateID, ad.ApplicationObjectID, ad.ServicePrincipalObjectID))...)...)
	if err != nil {
		return nil, err
	}
	clientID := azuread.LookupApplicationOutput(ctx, azuread.LookupApplicationOutputArgs{ObjectId: app.ApplicationObjectId}, parent).ClientId()

	sp, err := azuread.NewServicePrincipal(ctx, name+"-sp", &azuread.ServicePrincipalArgs{
		ClientId:                  clientID,
		UseExisting:               pulumi.Bool(true),
		PreferredSingleSignOnMode: pulumi.String(singleSignOnModeSAML),
		AppRoleAssignmentRequired: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	// An adopted application carries the identifier URI already: that is
	// why a second application cannot be created.
	if _, err := azuread.NewApplicationIdentifierUri(ctx, name+"-identifier", &azuread.ApplicationIdentifierUriArgs{
		ApplicationId: app.ApplicationId,
		IdentifierUri: pulumi.String(a.IdentifierURI),
	}, append([]pulumi.ResourceOption{parent}, importID(adopt, fmt.Sprintf("/applications/%s/identifierUris/%s",
		ad.ApplicationObjectID, base64.StdEncoding.EncodeToString([]byte(a.IdentifierURI))))...)...); err != nil {
		return nil, err
	}
	// The gallery application's wildcard reply URL covers the wrong
	// domain: register Identity Center's exact ACS URLs.
	if _, err := azuread.NewApplicationRedirectUris(ctx, name+"-reply-urls", &azuread.ApplicationRedirectUrisArgs{
		ApplicationId: app.ApplicationId,
		Type:          pulumi.String("Web"),
		RedirectUris:  pulumi.ToStringArray(a.ACSURLs),
	}, append([]pulumi.ResourceOption{parent}, importID(adopt, "/applications/"+ad.ApplicationObjectID+"/redirectUris/Web")...)...); err != nil {
		return nil, err
	}
	certArgs := &azuread.ServicePrincipalTokenSigningCertificateArgs{
		ServicePrincipalId: app.ServicePrincipalObjectId,
		DisplayName:        pulumi.String("CN=" + a.DisplayName + " SAML signing"),
	}
	if a.SigningCertificateEndDate != "" {
		certArgs.EndDate = pulumi.String(a.SigningCertificateEndDate)
	}
	cert, err := azuread.NewServicePrincipalTokenSigningCertificate(ctx, name+"-signing-certificate", certArgs, parent, pulumi.DependsOn([]pulumi.Resource{sp}))
	if err != nil {
		return nil, err
	}

	provisioning := a.SCIMToken != nil
	if provisioning {
		secret, err := azuread.NewSynchronizationSecret(ctx, name+"-scim-secret", &azuread.SynchronizationSecretArgs{
			ServicePrincipalId: app.ServicePrincipalObjectId,
			Credentials: azuread.SynchronizationSecretCredentialArray{
				azuread.SynchronizationSecretCredentialArgs{Key: pulumi.String("BaseAddress"), Value: pulumi.String(a.SCIMEndpoint)},
				azuread.SynchronizationSecretCredentialArgs{Key: pulumi.String("SecretToken"), Value: pulumi.ToSecret(a.SCIMToken).(pulumi.StringOutput)},
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{sp}))
		if err != nil {
			return nil, err
		}
		// The job starts when it is created: only after the real token is stored.
		if _, err := azuread.NewSynchronizationJob(ctx, name+"-scim-job", &azuread.SynchronizationJobArgs{
			ServicePrincipalId: app.ServicePrincipalObjectId,
			TemplateId:         pulumi.String(a.SyncTemplateID),
			Enabled:            pulumi.Bool(true),
		}, append([]pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{secret})},
			importID(adopt && ad.SynchronizationJobID != "", ad.ServicePrincipalObjectID+"/job/"+ad.SynchronizationJobID)...)...); err != nil {
			return nil, err
		}
	}

	if len(a.Groups) > 0 {
		appRoleID := azuread.LookupServicePrincipalOutput(ctx, azuread.LookupServicePrincipalOutputArgs{ObjectId: app.ServicePrincipalObjectId}, parent).
			AppRoles().ApplyT(func(roles []azuread.GetServicePrincipalAppRole) (string, error) {
			return appRoleByDisplayName(roles, a.AppRoleName)
		}).(pulumi.StringOutput)
		for _, g := range a.Groups {
			group, err := azuread.LookupGroup(ctx, &azuread.LookupGroupArgs{DisplayName: pulumi.StringRef(g), SecurityEnabled: pulumi.BoolRef(true)}, parent)
			if err != nil {
				return nil, fmt.Errorf("looking up the Entra security group %q (create it in Entra first): %w", g, err)
			}
			if _, err := azuread.NewAppRoleAssignment(ctx, name+"-assign-"+g, &azuread.AppRoleAssignmentArgs{
				AppRoleId:         appRoleID,
				PrincipalObjectId: pulumi.String(group.ObjectId),
				ResourceObjectId:  app.ServicePrincipalObjectId,
			}, parent, pulumi.DependsOn([]pulumi.Resource{sp})); err != nil {
				return nil, fmt.Errorf("assigning %s to the application: %w", g, err)
			}
		}
	}

	comp.ApplicationObjectID = app.ApplicationObjectId
	comp.ServicePrincipalObjectID = app.ServicePrincipalObjectId
	comp.ClientID = clientID
	comp.SigningCertificateThumbprint = cert.Thumbprint
	comp.MetadataURL = pulumi.Sprintf("https://login.microsoftonline.com/%s/federationmetadata/2007-06/federationmetadata.xml?appid=%s", a.TenantID, clientID)
	comp.ProvisioningConfigured = pulumi.Bool(provisioning).ToBoolOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"applicationObjectId":          comp.ApplicationObjectID,
		"servicePrincipalObjectId":     comp.ServicePrincipalObjectID,
		"clientId":                     comp.ClientID,
		"signingCertificateThumbprint": comp.SigningCertificateThumbprint,
		"metadataUrl":                  comp.MetadataURL,
		"provisioningConfigured":       comp.ProvisioningConfigured,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// appRoleByDisplayName finds an application role's id. The provider's
// appRoleIds map is keyed by role value, and the gallery application's
// roles (User, msiam_access) have none, so the display name is what names
// them.
func appRoleByDisplayName(roles []azuread.GetServicePrincipalAppRole, displayName string) (string, error) {
	var names []string
	for _, r := range roles {
		if r.DisplayName == displayName {
			return r.Id, nil
		}
		names = append(names, r.DisplayName)
	}
	return "", fmt.Errorf("the application has no app role named %q (it has %s): set entra.appRole", displayName, strings.Join(names, ", "))
}
