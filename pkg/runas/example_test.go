package runas_test

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

// ExampleNewOrgSessionPreferences deploys a StackSet from its home region
// to two OUs in two regions: one instance per (target, region).
func ExampleNewOrgSessionPreferences() {
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		home, err := aws.NewProvider(ctx, "aws-eu-west-1", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		_, err = runas.NewOrgSessionPreferences(ctx, "session-preferences", &runas.OrgSessionPreferencesArgs{
			StackSetName: "ssm-runas-session-preferences",
			TemplateBody: `{"Resources":{}}`,
			Targets:      []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"},
			Regions:      []string{"eu-west-1", "us-east-1"},
		}, pulumi.Provider(home))
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		if r.Type == "aws:cloudformation/stackSetInstance:StackSetInstance" {
			fmt.Println(r.Name, "via", r.Provider)
		}
	}
	// Output:
	// session-preferences-ou-a1b2-sandboxes1-eu-west-1 via aws-eu-west-1
	// session-preferences-ou-a1b2-sandboxes1-us-east-1 via aws-eu-west-1
	// session-preferences-ou-a1b2-workloads1-eu-west-1 via aws-eu-west-1
	// session-preferences-ou-a1b2-workloads1-us-east-1 via aws-eu-west-1
}

// ExampleNewRoleAccess creates a permission set for a group SCIM has not
// provisioned yet: the permission set exists, the assignments wait.
func ExampleNewRoleAccess() {
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewRoleAccess(ctx, "role-admin", &runas.RoleAccessArgs{
			InstanceARN: "arn:aws:sso:::instance/ssoins-1234567890abcdef",
			PermissionSet: &runas.PermissionSetArgs{
				Name:        "SSM-Admin",
				Description: "ssm-runas: Session Manager as admin",
				Policy:      policy.PermissionSetPolicyArgs{RoleUsers: []string{"admin"}},
				PolicyARNs:  []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
			},
			GroupID:    "", // not provisioned yet
			AccountIDs: []string{"222222222222"},
		})
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		fmt.Println(r.Type, r.Name)
	}
	// Output:
	// aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment permission-set-SSM-Admin-policy-aws:policy/ReadOnlyAccess
	// aws:ssoadmin/permissionSet:PermissionSet permission-set-SSM-Admin
	// aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy permission-set-SSM-Admin-session-policy
	// ssm-runas:aws:RoleAccess role-admin
}
