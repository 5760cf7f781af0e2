package engine

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

// stackProgram is what stacks/main.go runs (a main package cannot be
// imported): read and validate ssm-runas:settings, pick the model's
// program, resolve its inputs from the stack config, run it. Keep it in
// step with stacks/main.go. It differs only where a test has no project
// around it: writer.zipPath is absolute, the SCIM token comes from the
// stack config alone (not from the environment, which parallel tests
// share), and the stack sets no aws:* key besides aws:region, so the
// providers' settings are empty.
func stackProgram(ctx *pulumi.Context) error {
	c := config.New(ctx, "ssm-runas")
	cfg, err := settings.Parse([]byte(c.Require("settings")))
	if err != nil {
		return fmt.Errorf("config ssm-runas:settings: %w", err)
	}
	if m := c.Get("model"); m != "" && settings.Model(m) != cfg.Model {
		return fmt.Errorf("config ssm-runas:model %q does not match settings.model %q", m, cfg.Model)
	}
	program, err := programs.For(cfg.Model)
	if err != nil {
		return err
	}
	layers, err := deploy.ParseLayers(c.Get("layers"))
	if err != nil {
		return err
	}
	in := deploy.Inputs{Layers: layers}
	if token := c.Get("scimToken"); token != "" {
		in.SCIMToken = pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput)
	}
	if layers.AWS() {
		if in.Writer, err = artifact.FromFile(cfg.Writer.ZipPath); err != nil {
			return err
		}
	}
	return program(ctx, cfg, in)
}
