package runas

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

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
)

// DefaultSessionDuration is the permission set session length when
// PermissionSetArgs.SessionDuration is empty.
const DefaultSessionDuration = settings.DefaultSessionDuration

// PermissionSetArgs describe a permission set the component creates and owns.
type PermissionSetArgs struct {
	// Name is required: what people pick at sign-in. Resources are named
	// after it, so renaming whatever uses the permission set replaces nothing.
	Name string
	// Description is required.
	Description string
	// SessionDuration is optional, default PT8H.
	SessionDuration string
	// Policy is required unless Document is set: the arguments of the
	// session policy (policy.PermissionSetSessionPolicy) with the Run As deny.
	Policy policy.PermissionSetPolicyArgs
	// Document is optional: a complete inline policy used instead of the
	// session policy, e.g. brokerpolicy.CallerPolicy for people who start
	// sessions through the session broker. Set it or Policy, not both. The
	// inline policy keeps its resource name either way, so switching a
	// permission set between the two updates the policy in place.
	Document *policy.Document
	// PolicyARNs are optional. AWS managed policies
	// (arn:aws:iam::aws:policy/...) are attached as they are; customer
	// managed ones (arn:aws:iam::<account>:policy/<path><name>) by name and
	// path, and a policy of that name and path must exist in every account
	// the permission set is assigned in.
	PolicyARNs []string
}

// RoleAccessArgs configure one role's access, in the region of the aws
// provider passed with pulumi.Provider (where Identity Center is enabled).
type RoleAccessArgs struct {
	// InstanceARN is required: the Identity Center instance.
	InstanceARN string
	// PermissionSet creates and owns a permission set. Set it or
	// ExistingPermissionSetARN.
	PermissionSet *PermissionSetArgs
	// ExistingPermissionSetARN uses a permission set as it is; its policies
	// must deny ssm:StartSession without the SSMSessionRunAs tag.
	ExistingPermissionSetARN string
	// GroupID is optional: the role group's id in the identity store. Empty
	// while SCIM has not provisioned the group yet: the permission set is
	// created and nothing is assigned.
	GroupID string
	// AccountIDs are optional: the 12-digit accounts where the group gets
	// the permission set.
	AccountIDs []string
}

// RoleAccess is one role's permission set (created, or an existing one)
// and its assignments to the role's group in every account.
type RoleAccess struct {
	pulumi.ResourceState

	// PermissionSetARN is the permission set people pick.
	PermissionSetARN pulumi.StringOutput `pulumi:"permissionSetArn"`
	// Accounts are the accounts the group is assigned in (none while the
	// group is missing).
	Accounts pulumi.StringArrayOutput `pulumi:"accounts"`
}

var (
	accountIDRe = regexp.MustCompile(`^\d{12}$`)
	// policyARNRe splits an IAM policy ARN into owner ("aws" or an account),
	// path and name.
	policyARNRe          = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|\d{12}):policy(/|/[\w+=,.@/-]*/)([\w+=,.@-]+)$`)
	permissionSetARNTail = regexp.MustCompile(`/(ps-[a-zA-Z0-9-./]{16})$`)
)

// inlinePolicy is the permission set's inline policy: Document, or the
// session policy built from Policy.
func (ps PermissionSetArgs) inlinePolicy() policy.Document {
	if ps.Document != nil {
		return *ps.Document
	}
	return policy.PermissionSetSessionPolicy(ps.Policy)
}

// policyRef is an IAM policy ARN taken apart.
type policyRef struct {
	ARN        string
	AWSManaged bool
	Path, Name string
}

func parsePolicyARN(arn string) (policyRef, error) {
	m := policyARNRe.FindStringSubmatch(arn)
	if m == nil {
		return policyRef{}, fmt.Errorf("policy %q is not an IAM policy ARN", arn)
	}
	return policyRef{ARN: arn, AWSManaged: m[1] == "aws", Path: m[2], Name: m[3]}, nil
}

// withDefaults returns a copy of a with defaults applied and the accounts
// sorted and distinct. It never changes the caller's args.
func (a RoleAccessArgs) withDefaults() RoleAccessArgs {
	if a.PermissionSet != nil {
		ps := *a.PermissionSet
		if ps.SessionDuration == "" {
			ps.SessionDuration = DefaultSessionDuration
		}
		ps.PolicyARNs = slices.Clone(ps.PolicyARNs)
		a.PermissionSet = &ps
	}
	a.AccountIDs = slices.Compact(slices.Sorted(slices.Values(a.AccountIDs)))
	return a
}

func (a RoleAccessArgs) validate() error {
	if a.InstanceARN == "" {
		return errors.New("NewRoleAccess: InstanceARN is required")
	}
	if (a.PermissionSet == nil) == (a.ExistingPermissionSetARN == "") {
		return errors.New("NewRoleAccess: set either PermissionSet or ExistingPermissionSetARN")
	}
	if ps := a.PermissionSet; ps != nil {
		if ps.Name == "" || ps.Description == "" {
			return errors.New("NewRoleAccess: PermissionSet.Name and Description are required")
		}
		if ps.Document != nil {
			if !reflect.ValueOf(ps.Policy).IsZero() {
				return fmt.Errorf("NewRoleAccess: %s: set PermissionSet.Policy or Document, not both", ps.Name)
			}
			if len(ps.Document.Statement) == 0 {
				return fmt.Errorf("NewRoleAccess: %s: PermissionSet.Document has no statement", ps.Name)
			}
		}
		for _, arn := range ps.PolicyARNs {
			if _, err := parsePolicyARN(arn); err != nil {
				return fmt.Errorf("NewRoleAccess: %s: %w", ps.Name, err)
			}
		}
	} else if !permissionSetARNTail.MatchString(a.ExistingPermissionSetARN) {
		return fmt.Errorf("NewRoleAccess: %q is not a permission set ARN", a.ExistingPermissionSetARN)
	}
	for _, id := range a.AccountIDs {
		if !accountIDRe.MatchString(id) {
			return fmt.Errorf("NewRoleAccess: account %q must be 12 digits (resolve OUs first)", id)
		}
	}
	return nil
}

// key names the children after the permission set, which stays when the
// role around it is renamed.
func (a RoleAccessArgs) key() string {
	if a.PermissionSet != nil {
		return "permission-set-" + a.PermissionSet.Name
	}
	return "permission-set-" + permissionSetARNTail.FindStringSubmatch(a.ExistingPermissionSetARN)[1]
}

// NewRoleAccess registers the permission set and assignments of one role.
func NewRoleAccess(ctx *pulumi.Context, name string, args *RoleAccessArgs, opts ...pulumi.ResourceOption) (*RoleAccess, error) {
	if args == nil {
		return nil, errors.New("NewRoleAccess: args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	comp := &RoleAccess{}
	if err := ctx.RegisterComponentResource(RoleAccessType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	instance := pulumi.String(a.InstanceARN)
	key := a.key()

	psARN := pulumi.String(a.ExistingPermissionSetARN).ToStringOutput()
	var provisioned []pulumi.Resource
	if ps := a.PermissionSet; ps != nil {
		set, err := ssoadmin.NewPermissionSet(ctx, key, &ssoadmin.PermissionSetArgs{
			InstanceArn:     instance,
			Name:            pulumi.String(ps.Name),
			Description:     pulumi.String(ps.Description),
			SessionDuration: pulumi.String(ps.SessionDuration),
			Tags:            pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("permission set %s: %w", ps.Name, err)
		}
		psARN = set.Arn
		inline, err := ssoadmin.NewPermissionSetInlinePolicy(ctx, key+"-session-policy", &ssoadmin.PermissionSetInlinePolicyArgs{
			InstanceArn:      instance,
			PermissionSetArn: set.Arn,
			InlinePolicy:     pulumi.String(string(ps.inlinePolicy().JSON())),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("session policy of %s: %w", ps.Name, err)
		}
		provisioned = append(provisioned, inline)
		for _, arn := range ps.PolicyARNs {
			ref, _ := parsePolicyARN(arn) // validated above
			// Named after owner, path and name: distinct policies never share
			// a resource name, whatever their last segment.
			att, err := attachPolicy(ctx, key+"-policy-"+arn[strings.Index(arn, ":iam::")+len(":iam::"):], instance, set.Arn, ref, parent)
			if err != nil {
				return nil, fmt.Errorf("attaching %s to %s: %w", arn, ps.Name, err)
			}
			provisioned = append(provisioned, att)
		}
	}

	accounts := a.AccountIDs
	if a.GroupID == "" {
		accounts = nil
	}
	for _, account := range accounts {
		// Assign only after the policies are in place, so nobody gets a
		// session without the Run As deny.
		if _, err := ssoadmin.NewAccountAssignment(ctx, key+"-assign-"+account, &ssoadmin.AccountAssignmentArgs{
			InstanceArn:      instance,
			PermissionSetArn: psARN,
			PrincipalId:      pulumi.String(a.GroupID),
			PrincipalType:    pulumi.String(PrincipalTypeGroup),
			TargetId:         pulumi.String(account),
			TargetType:       pulumi.String(TargetTypeAccount),
		}, parent, pulumi.DependsOn(provisioned)); err != nil {
			return nil, fmt.Errorf("assigning %s in %s: %w", key, account, err)
		}
	}

	comp.PermissionSetARN = psARN
	comp.Accounts = pulumi.ToStringArray(accounts).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"permissionSetArn": comp.PermissionSetARN,
		"accounts":         comp.Accounts,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// attachPolicy attaches an AWS managed policy by ARN, or a customer managed
// one by name and path (ManagedPolicyAttachment takes AWS managed policies
// only).
func attachPolicy(ctx *pulumi.Context, name string, instance pulumi.StringInput, psARN pulumi.StringOutput, ref policyRef, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	if ref.AWSManaged {
		return ssoadmin.NewManagedPolicyAttachment(ctx, name, &ssoadmin.ManagedPolicyAttachmentArgs{
			InstanceArn:      instance,
			PermissionSetArn: psARN,
			ManagedPolicyArn: pulumi.String(ref.ARN),
		}, opts...)
	}
	return ssoadmin.NewCustomerManagedPolicyAttachment(ctx, name, &ssoadmin.CustomerManagedPolicyAttachmentArgs{
		InstanceArn:      instance,
		PermissionSetArn: psARN,
		CustomerManagedPolicyReference: &ssoadmin.CustomerManagedPolicyAttachmentCustomerManagedPolicyReferenceArgs{
			Name: pulumi.String(ref.Name),
			Path: pulumi.String(ref.Path),
		},
	}, opts...)
}
