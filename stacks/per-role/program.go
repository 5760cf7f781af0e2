// Package perrole is the stack program of the per-role model: people land on
// shared role accounts (admin, developer, ...) chosen from Entra groups.
//
// It composes the organization layer (Session Manager preferences and the
// role accounts in every account and region, locked by an SCP) and the
// Identity Center layer (the ABAC attribute that becomes SSMSessionRunAs,
// one permission set per role with the Run As deny, and the assignments).
// With an entra section it also deploys the Entra ID application (SAML,
// signing certificate, exact reply URLs, SCIM job, group assignments); the
// steps no resource can do are exported as nextSteps.
package perrole

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Program deploys the per-role model from a validated configuration.
func Program(ctx *pulumi.Context, cfg *settings.Config) error {
	writer, err := runas.WriterArtifact(ctx.Context(), cfg.Writer)
	if err != nil {
		return err
	}
	return ProgramWithWriter(ctx, cfg, writer)
}

// ProgramWithWriter is Program with the writer's zip given, for callers that
// built it already.
func ProgramWithWriter(ctx *pulumi.Context, cfg *settings.Config, writer artifact.Zip) error {
	hosts, err := cfn.HostAccountsFor(cfg)
	if err != nil {
		return err
	}
	org, err := runas.NewOrgSessionPreferences(ctx, "session-preferences", &runas.OrgSessionPreferencesArgs{
		Organization: cfg.Organization,
		Preferences:  cfg.SessionPreferences,
		Writer:       writer,
		HostAccounts: hosts,
	})
	if err != nil {
		return err
	}
	ctx.Export("stackSetName", org.StackSetName)
	ctx.Export("artifactBuckets", org.ArtifactBuckets)
	ctx.Export("writerArtifactKey", org.ArtifactKey)
	ctx.Export("managementStacks", org.ManagementStacks)

	if cfg.GuardrailEnabled() {
		g, err := runas.NewSessionGuardrail(ctx, "guardrail", &runas.SessionGuardrailArgs{
			PolicyName:     cfg.Guardrail.PolicyName,
			Targets:        cfg.Organization.Targets,
			ExemptRoleARNs: cfg.Guardrail.ExemptRoleARNs,
		})
		if err != nil {
			return err
		}
		ctx.Export("guardrailPolicyId", g.PolicyID)
	}

	ic := cfg.IdentityCenter
	abac, err := runas.NewAccessControlAttributes(ctx, "identity-center", &runas.AccessControlAttributesArgs{
		InstanceARN: ic.InstanceARN,
		Region:      ic.Region,
		RunAsSource: ic.RunAsSource,
		Others:      ic.OtherAttributes,
	})
	if err != nil {
		return err
	}
	ctx.Export("abacKeys", abac.Keys)

	var docs []string
	for _, d := range ic.AllowedSessionDocuments {
		docs = append(docs, d.Name)
	}
	kms := ""
	if k := cfg.SessionPreferences.KMSKeyID; k != nil {
		kms = *k
	}
	permissionSets := pulumi.StringMap{}
	for _, role := range cfg.RolesByPrecedence() {
		access, err := runas.NewRoleAccess(ctx, "role-"+role.Name, &runas.RoleAccessArgs{
			Role:            role,
			InstanceARN:     ic.InstanceARN,
			Region:          ic.Region,
			IdentityStoreID: ic.IdentityStoreID,
			Policy:          policy.PermissionSetPolicyArgs{AllowedDocuments: docs, KMSKeyID: kms},
		}, pulumi.DependsOn([]pulumi.Resource{abac}))
		if err != nil {
			return err
		}
		permissionSets[role.Name] = access.PermissionSetARN
	}
	ctx.Export("permissionSets", permissionSets)

	if e := cfg.Entra; e != nil {
		token, err := runas.SCIMToken(ctx)
		if err != nil {
			return err
		}
		var groups []string
		for _, r := range cfg.RolesByPrecedence() {
			groups = append(groups, r.EntraGroup)
		}
		app, err := runas.NewIdentityCenterApp(ctx, "entra", &runas.IdentityCenterAppArgs{
			TenantID:                  e.TenantID,
			DisplayName:               e.ApplicationName,
			IdentifierURI:             e.IdentifierURI,
			ACSURLs:                   e.ACSURLs,
			AppRole:                   e.AppRole,
			SigningCertificateEndDate: e.SigningCertificateEndDate,
			SCIMEndpoint:              e.SCIM.Endpoint,
			SCIMToken:                 token,
			SyncTemplateID:            e.SCIM.TemplateID,
			Groups:                    groups,
		})
		if err != nil {
			return err
		}
		ctx.Export("servicePrincipalObjectId", app.ServicePrincipalObjectID)
		ctx.Export("signingCertificateThumbprint", app.SigningCertificateThumbprint)
		ctx.Export("metadataUrl", app.MetadataURL)
		// What no resource can do runs after this program, in this order.
		ctx.Export("nextSteps", pulumi.Sprintf(
			"1. runas metadata strip --in <download of metadataUrl> --thumbprint %s --verify-signature --out identity-center.xml, "+
				"then upload it in Identity Center (runas runbook). "+
				"2. runas entra map-attribute --config <file> --service-principal-id %s --apply --start. "+
				"3. runas entra sync-attributes --config <file> --apply.",
			app.SigningCertificateThumbprint, app.ServicePrincipalObjectID))
	}
	return nil
}
