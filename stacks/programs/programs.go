// Package programs maps each deployment model to its stack program, for the
// Pulumi entry point and for `runas plan`.
package programs

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	perrole "github.com/ssm-runas/ssm-runas/stacks/per-role"
)

// Program is a stack program for one model.
type Program func(ctx *pulumi.Context, cfg *settings.Config, in deploy.Inputs) error

var byModel = map[settings.Model]Program{
	settings.ModelPerRole: perrole.Program,
}

// For returns the program of model, or an error naming what exists.
func For(model settings.Model) (Program, error) {
	p, ok := byModel[model]
	if !ok {
		return nil, fmt.Errorf("model %q has no stack program yet; available: %s", model, settings.ModelPerRole)
	}
	return p, nil
}
