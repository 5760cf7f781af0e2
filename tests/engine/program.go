package engine

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

// stackProgram is the body of stacks/main.go (a main package cannot be
// imported): load and validate `ssm-runas:settings`, pick the model's
// program, run it. Keep it in step with stacks/main.go.
func stackProgram(ctx *pulumi.Context) error {
	cfg, err := runas.LoadSettings(ctx)
	if err != nil {
		return err
	}
	program, err := programs.For(cfg.Model)
	if err != nil {
		return err
	}
	return program(ctx, cfg)
}
