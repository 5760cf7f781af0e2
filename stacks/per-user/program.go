package peruser

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

// Inputs are what the program needs besides the configuration.
type Inputs = deploy.Inputs

// Access is one permission set that the members of an AD-backed Entra
// group get in some accounts. Every person keeps their own Run As value
// whichever permission set they pick.
type Access = settings.PerUserAccess

// AccessOf returns the configuration's per-user permission sets
// (perUser.permissionSets).
func AccessOf(cfg *settings.Config) []Access {
	if cfg.PerUser == nil {
		return nil
	}
	return append([]Access(nil), cfg.PerUser.PermissionSets...)
}

// Program deploys the per-user model from a validated configuration.
func Program(ctx *pulumi.Context, cfg *settings.Config, in Inputs) error {
	return Deploy(ctx, cfg, in, AccessOf(cfg))
}

// Deploy is Program with the permission sets given.
func Deploy(ctx *pulumi.Context, cfg *settings.Config, in Inputs, access []Access) error {
	if cfg == nil {
		return errors.New("per-user program: the configuration is required")
	}
	if !cfg.PerUserModel() || cfg.PerUser == nil {
		return fmt.Errorf("per-user program: model %q with a perUser section is required", cfg.Model)
	}
	if err := validateAccess(access); err != nil {
		return err
	}
	var next []string
	if in.Layers.AWS() {
		providers, err := Providers(ctx, cfg, in)
		if err != nil {
			return err
		}
		steps, err := AWSLayer(ctx, cfg, in, providers, access, deploy.OrganizationOptions{})
		if err != nil {
			return err
		}
		next = append(next, steps...)
	}
	if cfg.Entra != nil && in.Layers.Entra() {
		if err := EntraLayer(ctx, cfg, in, access); err != nil {
			return err
		}
	}
	ctx.Export("nextSteps", pulumi.ToStringArray(next))
	return nil
}

// Providers creates the per-user deployment's aws providers: one in
// identityCenter.region, in each of organization.regions and in each of
// extra (a program that deploys more, such as a domain controller, names
// its regions there so every component shares one provider per region),
// and the management account's when it is configured.
func Providers(ctx *pulumi.Context, cfg *settings.Config, in Inputs, extra ...string) (*deploy.AWSProviders, error) {
	ic := cfg.IdentityCenter
	if ic == nil {
		return nil, errors.New("per-user program: identityCenter is required")
	}
	managementRole := ""
	if cfg.ConfigureManagementAccount() {
		managementRole = cfg.Organization.ManagementAccount.AssumeRoleARN
	}
	regions := append(append([]string{ic.Region}, cfg.Organization.Regions...), extra...)
	return deploy.NewAWSProviders(ctx, in.AWS, regions, managementRole)
}

// validateAccess applies the configuration's rule for per-user permission
// sets to the ones Deploy is given.
func validateAccess(access []Access) error {
	if err := settings.ValidatePerUserAccess(field.Path("access"), access).Err(); err != nil {
		return fmt.Errorf("per-user program: %w", err)
	}
	return nil
}

// AWSLayer deploys the per-user model's AWS side on providers (from
// Providers): the organization layer with org's deploy-time template
// parameters, the ABAC attribute, and the permission sets of access. It
// returns the steps left to a person.
func AWSLayer(ctx *pulumi.Context, cfg *settings.Config, in Inputs, providers *deploy.AWSProviders, access []Access, org deploy.OrganizationOptions) ([]string, error) {
	ic := cfg.IdentityCenter
	if ic == nil {
		return nil, errors.New("per-user program: identityCenter is required")
	}
	if in.Writer.SHA256 == "" {
		return nil, errors.New("per-user program: the writer's zip is required")
	}
	if err := validateAccess(access); err != nil {
		return nil, err
	}
	if err := deploy.OrganizationWith(ctx, cfg, in, providers, ic.Region, org); err != nil {
		return nil, err
	}
	hosts := cfg.PerUser.Hosts
	ctx.Export("domainJoin", pulumi.StringMap{
		"document":    pulumi.String(hostjoin.DocumentName),
		"association": pulumi.String(hostjoin.AssociationName),
		"targetTag":   pulumi.String(hosts.TargetTagKey + "=" + hosts.TargetTagValue),
		"policy":      pulumi.String(hostjoin.PolicyNamePrefix + "<region>"),
	})

	icProvider := providers.In(ic.Region)
	abac, err := deploy.AccessControlAttributes(ctx, cfg, pulumi.Provider(icProvider))
	if err != nil {
		return nil, err
	}

	groupNames := accessGroups(access)
	groups, err := deploy.LookupGroups(ctx, ic.IdentityStoreID, groupNames, pulumi.Provider(icProvider))
	if err != nil {
		return nil, err
	}
	permissionSets := pulumi.StringMap{}
	for _, a := range access {
		accounts, err := deploy.ExpandAccounts(ctx, a.Assignments, pulumi.Provider(icProvider))
		if err != nil {
			return nil, fmt.Errorf("permission set %s for %s: %w", a.PermissionSet.DisplayName(), a.EntraGroup, err)
		}
		acc, err := runas.NewRoleAccess(ctx, resourceName(a), &runas.RoleAccessArgs{
			InstanceARN:              ic.InstanceARN,
			PermissionSet:            permissionSet(cfg, a),
			ExistingPermissionSetARN: a.PermissionSet.ARN,
			GroupID:                  groups.ByName[a.EntraGroup],
			AccountIDs:               accounts,
		}, pulumi.Provider(icProvider), pulumi.DependsOn(abac.Ready()))
		if err != nil {
			return nil, err
		}
		permissionSets[a.EntraGroup+"/"+a.PermissionSet.DisplayName()] = acc.PermissionSetARN
	}
	ctx.Export("permissionSets", permissionSets)
	ctx.Export("missingGroups", pulumi.ToStringArray(groups.Missing))

	next := []string{
		fmt.Sprintf("attach the managed policy %s<region> (stack output %s) to the instance role of every host tagged %s=%s, so the join association can read %s",
			hostjoin.PolicyNamePrefix, hostjoin.OutputPolicyARN, hosts.TargetTagKey, hosts.TargetTagValue, joinSecret(cfg)),
	}
	if len(access) == 0 {
		next = append(next, "no per-user permission sets are configured: people can sign in to nothing that starts sessions")
	}
	if len(groups.Missing) > 0 {
		msg := fmt.Sprintf("groups not in Identity Center yet: %s; their permission sets exist, and their account assignments follow on the first pulumi up after Entra has provisioned them",
			strings.Join(groups.Missing, ", "))
		next = append(next, msg)
		if err := ctx.Log.Warn(msg, nil); err != nil {
			return nil, err
		}
	}
	return next, nil
}

func joinSecret(cfg *settings.Config) string {
	if arn := cfg.PerUser.Domain.JoinSecretARN; arn != "" {
		return arn
	}
	return "the domain controller stack's join secret"
}

// resourceName names an access's resources after its permission set and
// group, so that reordering the configuration replaces nothing.
func resourceName(a Access) string {
	name := a.PermissionSet.Name
	if name == "" {
		name = a.PermissionSet.ARN[strings.LastIndex(a.PermissionSet.ARN, "/")+1:]
	}
	return "access-" + name + "-" + strings.ToLower(strings.ReplaceAll(a.EntraGroup, " ", "-"))
}

func accessGroups(access []Access) []string {
	var out []string
	for _, a := range access {
		if !containsFold(out, a.EntraGroup) {
			out = append(out, a.EntraGroup)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// permissionSet returns the arguments of the access's permission set, or
// nil when it is an existing one. Its policy comes from the one rule the
// per-role permission sets use; in the per-user models it denies sessions
// without the Run As tag or with a reserved name, and outside the regions.
func permissionSet(cfg *settings.Config, a Access) *runas.PermissionSetArgs {
	ps := a.PermissionSet
	if !ps.Managed() {
		return nil
	}
	description := ps.Description
	if description == "" {
		description = "ssm-runas: Session Manager as each person's own directory account"
	}
	return &runas.PermissionSetArgs{
		Name:            ps.Name,
		Description:     description,
		SessionDuration: ps.SessionDuration, // the component defaults it
		Policy:          cfg.PermissionSetPolicyArgs(settings.Role{PermissionSet: ps}),
		PolicyARNs:      ps.ManagedPolicyARNs,
	}
}

// EntraLayer deploys the Entra ID application with the groups of access
// assigned (cfg.Entra is required).
func EntraLayer(ctx *pulumi.Context, cfg *settings.Config, in Inputs, access []Access) error {
	app, next, err := deploy.EntraApplication(ctx, cfg, in, accessGroups(access))
	if err != nil {
		return err
	}
	if in.SCIMToken != nil {
		// No attribute sync in the per-user models: the value is each
		// person's own attribute, lower-cased by the expression mapping.
		e := cfg.Entra
		next = append(next, pulumi.Sprintf("runas entra map-attribute --config <file> --service-principal-id %s --apply --start (maps ToLower([%s], ) to %s)",
			app.ServicePrincipalObjectID, e.SCIM.SourceAttribute, e.SCIM.TargetAttribute))
	}
	ctx.Export("entraNextSteps", pulumi.StringArray(next))
	return nil
}
