package deploy_test

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

// ExampleDeploymentOrderFor ends a deployment with a session broker: the
// broker rides on the first run, and people set up `runas connect` last.
func ExampleDeploymentOrderFor() {
	c, err := settings.Load("../../examples/per-permission-set/runas.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	steps := deploy.DeploymentOrderFor(c)
	for _, s := range steps[len(steps)-3:] {
		fmt.Println(s.By)
	}
	// Output:
	// runas
	// person
	// runas
}

// ExampleBrokerClientSetup is the next step the stack outputs once the
// broker's URL is known.
func ExampleBrokerClientSetup() {
	fmt.Println(deploy.BrokerClientSetup("https://abc.lambda-url.eu-west-1.on.aws/"))
	// Output:
	// session broker: people install the session-manager-plugin, export SSM_RUNAS_BROKER_URL=https://abc.lambda-url.eu-west-1.on.aws/ (or pass --broker-url), sign in with aws sso login --profile <profile>, and run runas connect --target <instance id> --profile <profile>
}
