// Package programs maps each deployment model to its stack program, for the
// Pulumi entry point and for `runas plan`.
package programs

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	domaincontroller "github.com/ssm-runas/ssm-runas/stacks/domain-controller"
	perrole "github.com/ssm-runas/ssm-runas/stacks/per-role"
	peruser "github.com/ssm-runas/ssm-runas/stacks/per-user"
)

// Program is a stack program for one model.
type Program func(ctx *pulumi.Context, cfg *settings.Config, in deploy.Inputs) error

var byModel = map[settings.Model]Program{
	settings.ModelPerRole:          perrole.Program,
	settings.ModelPerUser:          peruser.Program,
	settings.ModelDomainController: domaincontroller.Program,
}

// For returns the program of model, or an error naming what exists.
func For(model settings.Model) (Program, error) {
	p, ok := byModel[model]
	if !ok {
		return nil, fmt.Errorf("model %q has no stack program yet; available: %s", model, strings.Join(Available(), ", "))
	}
	return p, nil
}

// Available lists the models that have a stack program, in the order the
// docs present them.
func Available() []string {
	var out []string
	for _, m := range settings.Models {
		if _, ok := byModel[m]; ok {
			out = append(out, string(m))
		}
	}
	return out
}
