package domaincontroller_test

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	domaincontroller "github.com/ssm-runas/ssm-runas/stacks/domain-controller"
)

// ExampleProgram previews the example's self-contained deployment offline,
// as `runas plan` does, and shows the StackSet's deploy-time parameters:
// the domain controller's join secret and address.
func ExampleProgram() {
	c, err := settings.Load("../../examples/domain-controller/runas.yaml")
	if err != nil {
		panic(err)
	}
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		return domaincontroller.Program(ctx, c, deploy.Inputs{Writer: artifact.NotBuilt})
	})
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		if r.Type == "aws:cloudformation/stackSet:StackSet" {
			params := r.Inputs["parameters"].(map[string]any)
			fmt.Println(hostjoin.ParamJoinSecretARN, params[hostjoin.ParamJoinSecretARN])
			fmt.Println(hostjoin.ParamDNSServers, params[hostjoin.ParamDNSServers])
		}
	}
	// Output:
	// DomainJoinSecretArn arn:aws:secretsmanager:eu-west-1:111111111111:secret:domain-controller-join-AbCdEf
	// DomainDnsServers 10.42.0.10
}
