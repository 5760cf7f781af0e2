// Package perrole is the stack program of the per-role model: people land on
// shared role accounts (admin, developer, ...) chosen from Entra groups.
//
// It composes the organization layer (Session Manager preferences and the
// role accounts in every account and region, locked by an SCP) and the
// Identity Center layer (the ABAC attribute that becomes SSMSessionRunAs,
// one permission set per role with the Run As deny, and the assignments).
// The Entra layer joins it when it is built.
package perrole

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/config"
	"github.com/ssm-runas/ssm-runas/pkg/runas/policy"
)

// Program deploys the per-role model from a validated configuration.
func Program(ctx *pulumi.Context, cfg *config.Config) error {
	writer, err := runas.WriterArtifact(ctx.Context(), cfg.Writer)
	if err != nil {
		return err
	}
	return ProgramWithWriter(ctx, cfg, writer)
}

// ProgramWithWriter is Program with the writer's zip given, for callers that
// built it already.
func ProgramWithWriter(ctx *pulumi.Context, cfg *config.Config, writer artifact.Zip) error {
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
	return nil
}
