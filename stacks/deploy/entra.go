package deploy

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// EntraApplication deploys the gallery application from the entra section,
// assigned to groups, and exports what the steps after it need. next holds
// those steps up to the provisioning job: activating the signing
// certificate, uploading the stripped metadata, and, until the SCIM token
// is stored, turning provisioning on. The caller adds what its model does
// once the job exists (in.SCIMToken set).
func EntraApplication(ctx *pulumi.Context, cfg *settings.Config, in Inputs, groups []string) (app *runas.IdentityCenterApp, next []pulumi.StringInput, err error) {
	e := cfg.Entra
	args := &runas.IdentityCenterAppArgs{
		TenantID:                  e.TenantID,
		DisplayName:               e.ApplicationName,
		IdentifierURI:             e.IdentifierURI,
		ACSURLs:                   e.ACSURLs,
		AppRoleName:               e.AppRole,
		SigningCertificateEndDate: e.SigningCertificateEndDate,
		SCIMEndpoint:              e.SCIM.Endpoint,
		SCIMToken:                 in.SCIMToken,
		SyncTemplateID:            e.SCIM.TemplateID,
		Groups:                    groups,
	}
	if cfg.Adopt != nil && cfg.Adopt.EntraApplication != nil {
		a := cfg.Adopt.EntraApplication
		args.Adopt = &runas.AdoptedApplication{
			ApplicationObjectID:      a.ApplicationObjectID,
			ServicePrincipalObjectID: a.ServicePrincipalObjectID,
			SynchronizationJobID:     a.SynchronizationJobID,
		}
	}
	app, err = runas.NewIdentityCenterApp(ctx, "entra", args)
	if err != nil {
		return nil, nil, err
	}
	ctx.Export("servicePrincipalObjectId", app.ServicePrincipalObjectID)
	ctx.Export("signingCertificateThumbprint", app.SigningCertificateThumbprint)
	ctx.Export("metadataUrl", app.MetadataURL)
	ctx.Export("provisioningConfigured", app.ProvisioningConfigured)
	// No provider resource sets the preferred signing key; Microsoft's
	// steps PATCH the service principal.
	activate := pulumi.Sprintf(`az rest --method PATCH --url https://graph.microsoft.com/v1.0/servicePrincipals/%s --body '{"preferredTokenSigningKeyThumbprint":"%s"}'`,
		app.ServicePrincipalObjectID, app.SigningCertificateThumbprint)
	ctx.Export("activateSigningCertificate", activate)

	next = []pulumi.StringInput{
		pulumi.Sprintf("make the signing certificate %s the active one: %s", app.SigningCertificateThumbprint, activate),
		pulumi.Sprintf("runas metadata strip --in <download of metadataUrl> --config <file> --trust-thumbprint %s --out identity-center.xml, then upload it in Identity Center (runas runbook)",
			app.SigningCertificateThumbprint),
	}
	if in.SCIMToken == nil {
		next = append(next, pulumi.String("enable automatic provisioning in Identity Center, then pulumi config set --secret ssm-runas:scimToken <token> and run pulumi up again to create the provisioning job"))
	}
	return app, next, nil
}
