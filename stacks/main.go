// Command stacks is the Pulumi program of the ssm-runas project. It reads
// `ssm-runas:settings` and runs the program of the configured model. The
// programs live in packages of their own so that tests and `runas plan` run
// exactly the same code under mocks.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg, err := runas.LoadSettings(ctx)
		if err != nil {
			return err
		}
		program, err := programs.For(cfg.Model)
		if err != nil {
			return err
		}
		return program(ctx, cfg)
	})
}
