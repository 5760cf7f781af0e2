package runas_test

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

// ExampleNewSessionBroker deploys the broker in the management account's
// home region: its role, the function, the IAM-authenticated URL and the
// two statements of its resource policy.
func ExampleNewSessionBroker() {
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		mgmt, err := aws.NewProvider(ctx, "aws-management-eu-west-1", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		_, err = runas.NewSessionBroker(ctx, "session-broker", &runas.SessionBrokerArgs{
			FunctionName: "ssm-runas-session-broker",
			Zip:          artifact.Broker.NotBuilt(), // an offline preview; deploy a built zip
			Rules: rules.Rules{
				OrganizationID:  "o-a1b2c3d4e5",
				PermissionSets:  map[string]string{"SSM-Admin": "admin", "SSM-Developer": "developer"},
				SessionRoleName: "ssm-runas-session",
				Regions:         []string{"eu-west-1"},
			},
			Policies: brokerpolicy.BrokerRoleArgs{
				OrganizationID:  "o-a1b2c3d4e5",
				SessionRoleName: "ssm-runas-session",
				FunctionARN:     "arn:aws:lambda:eu-west-1:111111111111:function:ssm-runas-session-broker",
			},
		}, pulumi.Provider(mgmt))
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		if r.Parent == "session-broker" {
			fmt.Println(r.Type, r.Name)
		}
	}
	// Output:
	// aws:cloudformation/stack:Stack session-broker-url-invoke
	// aws:cloudwatch/logGroup:LogGroup session-broker-log-group
	// aws:iam/role:Role session-broker-role
	// aws:iam/rolePolicy:RolePolicy session-broker-assume-session-roles
	// aws:iam/rolePolicyAttachment:RolePolicyAttachment session-broker-logs
	// aws:lambda/function:Function session-broker-function
	// aws:lambda/functionUrl:FunctionUrl session-broker-url
	// aws:lambda/permission:Permission session-broker-organization-invokes-url
}
