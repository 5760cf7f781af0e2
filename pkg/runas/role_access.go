package runas

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/identitystore"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/organizations"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssoadmin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// RoleAccessType is the component's type token.
const RoleAccessType = "ssm-runas:aws:RoleAccess"

// Identity Center principal and target types.
const (
	PrincipalTypeGroup = "GROUP"
	TargetTypeAccount  = "AWS_ACCOUNT"
	accountActive      = "ACTIVE"
)

// RoleAccessArgs configure one role's access.
type RoleAccessArgs struct {
	// Role is required, validated by settings.Parse.
	Role settings.Role
	// InstanceARN, Region and IdentityStoreID are required: the Identity
	// Center instance.
	InstanceARN, Region, IdentityStoreID string
	// Policy is required for created permission sets: the arguments of
	// their session policy (documents, KMS key).
	Policy policy.PermissionSetPolicyArgs
}

// RoleAccess is one role's permission set (created, or an existing one)
// and its assignments to the role's Entra group in every target account.
type RoleAccess struct {
	pulumi.ResourceState

	// PermissionSetARN is the permission set people pick.
	PermissionSetARN pulumi.StringOutput `pulumi:"permissionSetArn"`
	// GroupID is the role group's id in the identity store.
	GroupID pulumi.StringOutput `pulumi:"groupId"`
	// Accounts are the accounts the group is assigned in.
	Accounts pulumi.StringArrayOutput `pulumi:"accounts"`
}

// NewRoleAccess registers the permission set and assignments of one role.
// OUs are resolved to their ACTIVE accounts when the program runs.
func NewRoleAccess(ctx *pulumi.Context, name string, args *RoleAccessArgs, opts ...pulumi.ResourceOption) (*RoleAccess, error) {
	if args == nil {
		return nil, errors.New("NewRoleAccess: args are required")
	}
	r := args.Role
	if r.Name == "" || r.EntraGroup == "" || len(r.Assignments) == 0 || args.InstanceARN == "" || args.Region == "" || args.IdentityStoreID == "" {
		return nil, errors.New("NewRoleAccess: a validated Role and the Identity Center instance are required")
	}
	comp := &RoleAccess{}
	if err := ctx.RegisterComponentResource(RoleAccessType, name, comp, opts...); err != nil {
		return nil, err
	}
	provider, err := aws.NewProvider(ctx, name+"-"+args.Region, &aws.ProviderArgs{Region: pulumi.String(args.Region)}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(provider)}
	invoke := []pulumi.InvokeOption{pulumi.Parent(comp), pulumi.Provider(provider)}
	instance := pulumi.String(args.InstanceARN)

	var psARN pulumi.StringOutput
	var provisioned []pulumi.Resource
	if ps := r.PermissionSet; ps.Managed() {
		set, err := ssoadmin.NewPermissionSet(ctx, name+"-permission-set", &ssoadmin.PermissionSetArgs{
			InstanceArn:     instance,
			Name:            pulumi.String(ps.Name),
			Description:     pulumi.String(describe(ps.Description, r)),
			SessionDuration: pulumi.String(ps.SessionDuration),
			Tags:            pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
		}, child...)
		if err != nil {
			return nil, fmt.Errorf("permission set %s: %w", ps.Name, err)
		}
		psARN = set.Arn
		pa := args.Policy
		pa.InstanceTagKey, pa.InstanceTagValue = ps.InstanceTagKey, ps.InstanceTagValue
		inline, err := ssoadmin.NewPermissionSetInlinePolicy(ctx, name+"-session-policy", &ssoadmin.PermissionSetInlinePolicyArgs{
			InstanceArn:      instance,
			PermissionSetArn: set.Arn,
			InlinePolicy:     pulumi.String(string(policy.PermissionSetSessionPolicy(pa).JSON())),
		}, child...)
		if err != nil {
			return nil, fmt.Errorf("session policy of %s: %w", ps.Name, err)
		}
		provisioned = append(provisioned, inline)
		for _, arn := range ps.ManagedPolicyARNs {
			a, err := ssoadmin.NewManagedPolicyAttachment(ctx, name+"-managed-"+arn[strings.LastIndex(arn, "/")+1:], &ssoadmin.ManagedPolicyAttachmentArgs{
				InstanceArn:      instance,
				PermissionSetArn: set.Arn,
				ManagedPolicyArn: pulumi.String(arn),
			}, child...)
			if err != nil {
				return nil, fmt.Errorf("attaching %s to %s: %w", arn, ps.Name, err)
			}
			provisioned = append(provisioned, a)
		}
	} else {
		psARN = pulumi.String(ps.ARN).ToStringOutput()
	}

	group, err := identitystore.LookupGroup(ctx, &identitystore.LookupGroupArgs{
		IdentityStoreId: args.IdentityStoreID,
		AlternateIdentifier: &identitystore.GetGroupAlternateIdentifier{
			UniqueAttribute: &identitystore.GetGroupAlternateIdentifierUniqueAttribute{
				AttributePath:  "DisplayName",
				AttributeValue: r.EntraGroup,
			},
		},
	}, invoke...)
	if err != nil {
		return nil, fmt.Errorf("looking up group %q in %s (has SCIM provisioned it?): %w", r.EntraGroup, args.IdentityStoreID, err)
	}

	accounts, err := resolveAccounts(ctx, r.Assignments, invoke)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", r.Name, err)
	}
	for _, account := range accounts {
		// Assign only after the policies are in place, so nobody gets a
		// session without the Run As deny.
		if _, err := ssoadmin.NewAccountAssignment(ctx, name+"-assign-"+account, &ssoadmin.AccountAssignmentArgs{
			InstanceArn:      instance,
			PermissionSetArn: psARN,
			PrincipalId:      pulumi.String(group.GroupId),
			PrincipalType:    pulumi.String(PrincipalTypeGroup),
			TargetId:         pulumi.String(account),
			TargetType:       pulumi.String(TargetTypeAccount),
		}, append(child, pulumi.DependsOn(provisioned))...); err != nil {
			return nil, fmt.Errorf("assigning %s in %s: %w", r.Name, account, err)
		}
	}

	comp.PermissionSetARN = psARN
	comp.GroupID = pulumi.String(group.GroupId).ToStringOutput()
	comp.Accounts = pulumi.ToStringArray(accounts).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"permissionSetArn": comp.PermissionSetARN,
		"groupId":          comp.GroupID,
		"accounts":         comp.Accounts,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func describe(d string, r settings.Role) string {
	if d != "" {
		return d
	}
	return "ssm-runas: Session Manager as " + r.LinuxUser
}

// resolveAccounts turns account ids and OU ids into the sorted, distinct
// ACTIVE account ids they stand for.
func resolveAccounts(ctx *pulumi.Context, targets []string, opts []pulumi.InvokeOption) ([]string, error) {
	set := map[string]bool{}
	for _, t := range targets {
		if !strings.HasPrefix(t, "ou-") {
			set[t] = true
			continue
		}
		res, err := organizations.GetOrganizationalUnitDescendantAccounts(ctx, &organizations.GetOrganizationalUnitDescendantAccountsArgs{ParentId: t}, opts...)
		if err != nil {
			return nil, fmt.Errorf("listing the accounts of %s: %w", t, err)
		}
		for _, a := range res.Accounts {
			if a.Status == accountActive {
				set[a.Id] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}
