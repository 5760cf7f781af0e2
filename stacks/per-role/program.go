// Package perrole is the stack program of the per-role model: people land on
// shared role accounts (admin, developer, ...) chosen from Entra groups.
//
// It composes the organization layer (Session Manager preferences and the
// role accounts in every account and region, locked by an SCP), the
// Identity Center layer (the ABAC attribute that becomes SSMSessionRunAs,
// one permission set per role with the Run As deny, and the assignments)
// and, with an entra section, the Entra ID application (SAML, signing
// certificate, exact reply URLs, SCIM job, group assignments).
//
// With a broker section (the per-permission-set model), it also deploys
// the session broker in the management account; the permission sets the
// broker serves get the broker callers' policy instead of the session
// policy (no direct ssm:StartSession), and the member template's session
// role is rolled out only once the broker's role, which it trusts, exists.
//
// A run never fails for what a later step provides: without the SCIM token
// there is no provisioning job yet, and a role whose group SCIM has not
// provisioned gets its permission set but no assignments. The stack outputs
// nextSteps and missingGroups say what comes next (deploy.DeploymentOrder).
package perrole

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

// Inputs are what the program needs besides the configuration.
type Inputs = deploy.Inputs

// Program deploys the per-role model from a validated configuration.
func Program(ctx *pulumi.Context, cfg *settings.Config, in Inputs) error {
	if cfg == nil {
		return errors.New("per-role program: the configuration is required")
	}
	next := pulumi.StringArray{}
	if in.Layers.AWS() {
		steps, err := awsLayer(ctx, cfg, in)
		if err != nil {
			return err
		}
		next = append(next, steps...)
	}
	if e := cfg.Entra; e != nil && in.Layers.Entra() {
		steps, err := entraLayer(ctx, cfg, in)
		if err != nil {
			return err
		}
		next = append(pulumi.ToStringArray(steps), next...)
	}
	ctx.Export("nextSteps", next)
	return nil
}

func awsLayer(ctx *pulumi.Context, cfg *settings.Config, in Inputs) ([]pulumi.StringInput, error) {
	org := cfg.Organization
	ic := cfg.IdentityCenter
	if ic == nil {
		return nil, errors.New("per-role program: identityCenter is required")
	}
	if in.Writer.SHA256 == "" {
		return nil, errors.New("per-role program: the writer's zip is required")
	}
	managementRole := ""
	if cfg.ConfigureManagementAccount() || cfg.Broker != nil {
		managementRole = org.ManagementAccount.AssumeRoleARN
	}
	regions := append([]string{ic.Region}, org.Regions...)
	if cfg.Broker != nil {
		regions = append(regions, cfg.Broker.Region)
	}
	providers, err := deploy.NewAWSProviders(ctx, in.AWS, regions, managementRole)
	if err != nil {
		return nil, err
	}

	var next []pulumi.StringInput
	var sessionRoleTrusts []pulumi.Resource
	if cfg.Broker != nil {
		broker, err := deploy.SessionBroker(ctx, cfg, in, providers)
		if err != nil {
			return nil, err
		}
		sessionRoleTrusts = broker.Ready()
		next = append(next, deploy.BrokerNextSteps(cfg, broker.URL)...)
	}

	if err := deploy.Organization(ctx, cfg, in, providers, ic.Region, sessionRoleTrusts...); err != nil {
		return nil, err
	}

	icProvider := providers.In(ic.Region)
	if _, err := deploy.AccessControlAttributes(ctx, cfg, pulumi.Provider(icProvider)); err != nil {
		return nil, err
	}

	roles := cfg.RolesByPrecedence()
	groupNames := make([]string, 0, len(roles))
	for _, r := range roles {
		groupNames = append(groupNames, r.EntraGroup)
	}
	groups, err := deploy.LookupGroups(ctx, ic.IdentityStoreID, groupNames, pulumi.Provider(icProvider))
	if err != nil {
		return nil, err
	}

	permissionSets := pulumi.StringMap{}
	for _, role := range roles {
		accounts, err := deploy.ExpandAccounts(ctx, role.Assignments, pulumi.Provider(icProvider))
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", role.Name, err)
		}
		ps, err := permissionSet(cfg, role)
		if err != nil {
			return nil, err
		}
		access, err := runas.NewRoleAccess(ctx, "role-"+role.Name, &runas.RoleAccessArgs{
			InstanceARN:              ic.InstanceARN,
			PermissionSet:            ps,
			ExistingPermissionSetARN: role.PermissionSet.ARN,
			GroupID:                  groups.ByName[role.EntraGroup],
			AccountIDs:               accounts,
		}, pulumi.Provider(icProvider))
		if err != nil {
			return nil, err
		}
		permissionSets[role.Name] = access.PermissionSetARN
	}
	ctx.Export("permissionSets", permissionSets)
	ctx.Export("missingGroups", pulumi.ToStringArray(groups.Missing))

	if len(groups.Missing) > 0 {
		msg := fmt.Sprintf("groups not in Identity Center yet: %s; their permission sets exist, and their account assignments follow on the first pulumi up after Entra has provisioned them",
			strings.Join(groups.Missing, ", "))
		next = append(next, pulumi.String(msg))
		if err := ctx.Log.Warn(msg, nil); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// permissionSet returns the arguments of the role's permission set, or nil
// when the role uses an existing one. A permission set the broker serves
// gets the broker callers' policy in place of the session policy.
func permissionSet(cfg *settings.Config, role settings.Role) (*runas.PermissionSetArgs, error) {
	ps := role.PermissionSet
	if !ps.Managed() {
		return nil, nil
	}
	description := ps.Description
	if description == "" {
		description = "ssm-runas: Session Manager as " + role.LinuxUser
	}
	args := &runas.PermissionSetArgs{
		Name:            ps.Name,
		Description:     description,
		SessionDuration: ps.SessionDuration,
		PolicyARNs:      ps.ManagedPolicyARNs,
	}
	caller, err := deploy.CallerPolicy(cfg, role)
	if err != nil {
		return nil, err
	}
	if caller != nil {
		args.Document = caller
		if ps.Description == "" {
			args.Description = "ssm-runas: Session Manager through the session broker, as " + cfg.BrokerRules().PermissionSets[ps.Name]
		}
	} else {
		args.Policy = cfg.PermissionSetPolicyArgs(role)
	}
	return args, nil
}

func entraLayer(ctx *pulumi.Context, cfg *settings.Config, in Inputs) ([]string, error) {
	var groups []string
	for _, r := range cfg.RolesByPrecedence() {
		groups = append(groups, r.EntraGroup)
	}
	app, next, err := deploy.EntraApplication(ctx, cfg, in, groups)
	if err != nil {
		return nil, err
	}
	if in.SCIMToken != nil {
		next = append(next, pulumi.Sprintf("runas entra map-attribute --config <file> --service-principal-id %s --apply --start; runas entra sync-attributes --config <file> --apply",
			app.ServicePrincipalObjectID))
	}
	ctx.Export("entraNextSteps", pulumi.StringArray(next))
	return nil, nil
}
