package runas

import (
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-azuread/sdk/v5/go/azuread"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// IdentityCenterAppType is the component's type token.
const IdentityCenterAppType = "ssm-runas:entra:IdentityCenterApp"

// GalleryTemplateID is the Entra application template "AWS IAM Identity
// Center (successor to AWS Single Sign-On)".
const GalleryTemplateID = "21ed01d2-ec13-4e9e-86c1-cd546719ebc4"

// SAML mode of the service principal.
const singleSignOnModeSAML = "saml"

// SCIM token sources.
const (
	// ConfigSCIMToken is the Pulumi secret holding Identity Center's SCIM token.
	ConfigSCIMToken = "scimToken"
	// SCIMTokenEnv is read when the Pulumi secret is not set.
	SCIMTokenEnv = "SSM_RUNAS_SCIM_TOKEN"
)

// SCIMToken returns the SCIM token as a secret, from the Pulumi secret
// ssm-runas:scimToken or else the SSM_RUNAS_SCIM_TOKEN environment variable.
func SCIMToken(ctx *pulumi.Context) (pulumi.StringOutput, error) {
	v, _ := pulumiconfig.New(ctx, ConfigNamespace).Try(ConfigSCIMToken)
	if v == "" {
		v = os.Getenv(SCIMTokenEnv)
	}
	if v == "" {
		return pulumi.StringOutput{}, fmt.Errorf("the SCIM token is not set: pulumi config set --secret %s:%s <token from Identity Center>, or %s",
			ConfigNamespace, ConfigSCIMToken, SCIMTokenEnv)
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
}

// IdentityCenterAppArgs configure the Entra side of the chain.
type IdentityCenterAppArgs struct {
	// TenantID is required.
	TenantID string
	// DisplayName is required: the application's name in Entra.
	DisplayName string
	// IdentifierURI is required: Identity Center's issuer URL.
	IdentifierURI string
	// ACSURLs are required: Identity Center's exact ACS URLs.
	ACSURLs []string
	// AppRole is required: the application role groups are assigned with.
	AppRole string
	// SigningCertificateEndDate is optional (RFC 3339).
	SigningCertificateEndDate string
	// SCIMEndpoint and SCIMToken are required: Identity Center's SCIM
	// endpoint and its token (a secret).
	SCIMEndpoint string
	SCIMToken    pulumi.StringInput
	// SyncTemplateID is required: aWSSingleSignon.
	SyncTemplateID string
	// Groups are the display names of the role groups to assign to the app.
	Groups []string
}

// IdentityCenterApp is the gallery application in SAML mode with its
// signing certificate, reply URLs, SCIM job and group assignments.
type IdentityCenterApp struct {
	pulumi.ResourceState

	ApplicationObjectID      pulumi.StringOutput `pulumi:"applicationObjectId"`
	ServicePrincipalObjectID pulumi.StringOutput `pulumi:"servicePrincipalObjectId"`
	ClientID                 pulumi.StringOutput `pulumi:"clientId"`
	// SigningCertificateThumbprint selects the certificate for
	// `runas metadata strip --thumbprint`.
	SigningCertificateThumbprint pulumi.StringOutput `pulumi:"signingCertificateThumbprint"`
	// MetadataURL is the application's federation metadata.
	MetadataURL pulumi.StringOutput `pulumi:"metadataUrl"`
}

// NewIdentityCenterApp registers the application and its parts.
func NewIdentityCenterApp(ctx *pulumi.Context, name string, args *IdentityCenterAppArgs, opts ...pulumi.ResourceOption) (*IdentityCenterApp, error) {
	if args == nil {
		return nil, errors.New("NewIdentityCenterApp: args are required")
	}
	if args.TenantID == "" || args.DisplayName == "" || args.IdentifierURI == "" || len(args.ACSURLs) == 0 ||
		args.SCIMEndpoint == "" || args.SCIMToken == nil || args.SyncTemplateID == "" || args.AppRole == "" {
		return nil, errors.New("NewIdentityCenterApp: TenantID, DisplayName, IdentifierURI, ACSURLs, AppRole, SCIMEndpoint, SCIMToken and SyncTemplateID are required")
	}
	comp := &IdentityCenterApp{}
	if err := ctx.RegisterComponentResource(IdentityCenterAppType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	app, err := azuread.NewApplicationFromTemplate(ctx, name+"-app", &azuread.ApplicationFromTemplateArgs{
		TemplateId:  pulumi.String(GalleryTemplateID),
		DisplayName: pulumi.String(args.DisplayName),
	}, parent)
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
	if _, err := azuread.NewApplicationIdentifierUri(ctx, name+"-identifier", &azuread.ApplicationIdentifierUriArgs{
		ApplicationId: app.ApplicationId,
		IdentifierUri: pulumi.String(args.IdentifierURI),
	}, parent); err != nil {
		return nil, err
	}
	// The gallery application's wildcard reply URL covers the wrong
	// domain: register Identity Center's exact ACS URLs.
	if _, err := azuread.NewApplicationRedirectUris(ctx, name+"-reply-urls", &azuread.ApplicationRedirectUrisArgs{
		ApplicationId: app.ApplicationId,
		Type:          pulumi.String("Web"),
		RedirectUris:  pulumi.ToStringArray(args.ACSURLs),
	}, parent); err != nil {
		return nil, err
	}
	certArgs := &azuread.ServicePrincipalTokenSigningCertificateArgs{
		ServicePrincipalId: app.ServicePrincipalObjectId,
		DisplayName:        pulumi.String("CN=" + args.DisplayName + " SAML signing"),
	}
	if args.SigningCertificateEndDate != "" {
		certArgs.EndDate = pulumi.String(args.SigningCertificateEndDate)
	}
	// Graph's addTokenSigningCertificate also makes it the preferred key.
	cert, err := azuread.NewServicePrincipalTokenSigningCertificate(ctx, name+"-signing-certificate", certArgs, parent, pulumi.DependsOn([]pulumi.Resource{sp}))
	if err != nil {
		return nil, err
	}

	secret, err := azuread.NewSynchronizationSecret(ctx, name+"-scim-secret", &azuread.SynchronizationSecretArgs{
		ServicePrincipalId: app.ServicePrincipalObjectId,
		Credentials: azuread.SynchronizationSecretCredentialArray{
			azuread.SynchronizationSecretCredentialArgs{Key: pulumi.String("BaseAddress"), Value: pulumi.String(args.SCIMEndpoint)},
			azuread.SynchronizationSecretCredentialArgs{Key: pulumi.String("SecretToken"), Value: args.SCIMToken},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{sp}))
	if err != nil {
		return nil, err
	}
	if _, err := azuread.NewSynchronizationJob(ctx, name+"-scim-job", &azuread.SynchronizationJobArgs{
		ServicePrincipalId: app.ServicePrincipalObjectId,
		TemplateId:         pulumi.String(args.SyncTemplateID),
		Enabled:            pulumi.Bool(true),
	}, parent, pulumi.DependsOn([]pulumi.Resource{secret})); err != nil {
		return nil, err
	}

	appRoleID := azuread.LookupServicePrincipalOutput(ctx, azuread.LookupServicePrincipalOutputArgs{ObjectId: app.ServicePrincipalObjectId}, parent).
		AppRoleIds().ApplyT(func(ids map[string]string) (string, error) {
		id, ok := ids[args.AppRole]
		if !ok {
			return "", fmt.Errorf("the application has no app role %q (it has %v): set entra.appRole", args.AppRole, ids)
		}
		return id, nil
	}).(pulumi.StringOutput)
	for _, g := range args.Groups {
		group, err := azuread.LookupGroup(ctx, &azuread.LookupGroupArgs{DisplayName: pulumi.StringRef(g), SecurityEnabled: pulumi.BoolRef(true)}, parent)
		if err != nil {
			return nil, fmt.Errorf("looking up the Entra group %q: %w", g, err)
		}
		if _, err := azuread.NewAppRoleAssignment(ctx, name+"-assign-"+g, &azuread.AppRoleAssignmentArgs{
			AppRoleId:         appRoleID,
			PrincipalObjectId: pulumi.String(group.ObjectId),
			ResourceObjectId:  app.ServicePrincipalObjectId,
		}, parent, pulumi.DependsOn([]pulumi.Resource{sp})); err != nil {
			return nil, fmt.Errorf("assigning %s to the application: %w", g, err)
		}
	}

	comp.ApplicationObjectID = app.ApplicationObjectId
	comp.ServicePrincipalObjectID = app.ServicePrincipalObjectId
	comp.ClientID = clientID
	comp.SigningCertificateThumbprint = cert.Thumbprint
	comp.MetadataURL = pulumi.Sprintf("https://login.microsoftonline.com/%s/federationmetadata/2007-06/federationmetadata.xml?appid=%s", args.TenantID, clientID)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"applicationObjectId":          comp.ApplicationObjectID,
		"servicePrincipalObjectId":     comp.ServicePrincipalObjectID,
		"clientId":                     comp.ClientID,
		"signingCertificateThumbprint": comp.SigningCertificateThumbprint,
		"metadataUrl":                  comp.MetadataURL,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
