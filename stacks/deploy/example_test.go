package deploy_test

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

// ExampleDeploymentOrder lists who acts at each step of a new
// organization's deployment.
func ExampleDeploymentOrder() {
	for i, s := range deploy.DeploymentOrder(settings.ModelPerRole) {
		fmt.Println(i+1, s.By)
	}
	// Output:
	// 1 person
	// 2 person
	// 3 runas
	// 4 pulumi up
	// 5 person
	// 6 runas
	// 7 person
	// 8 pulumi up
	// 9 runas
	// 10 wait
	// 11 pulumi up
	// 12 runas
}

// ExampleParseLayers splits the Entra application and the AWS side into
// stacks of their own.
func ExampleParseLayers() {
	l, err := deploy.ParseLayers("entra")
	fmt.Println(l.Entra(), l.AWS(), err)
	// Output: true false <nil>
}
