package artifact_test

import (
	"context"
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
)

// ExampleBuildBroker builds the session broker's zip from this module's
// source, as the stack does; an unchanged tree gives the same digest.
func ExampleBuildBroker() {
	z, err := artifact.BuildBroker(context.Background(), artifact.BuildOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(z.Path, z.SourceCodeHash())
}

// ExampleLambda_FromFile uses a prebuilt zip (broker.zipPath), as a
// pipeline that builds the function elsewhere does.
func ExampleLambda_FromFile() {
	z, err := artifact.Broker.FromFile("build/ssm-runas-broker.zip")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(z.SHA256)
}
