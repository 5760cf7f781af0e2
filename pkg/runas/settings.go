package runas

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Pulumi config keys, in the `ssm-runas` namespace.
const (
	ConfigNamespace = "ssm-runas"
	// ConfigSettings holds the whole configuration, the same structure as
	// the YAML file the CLI reads.
	ConfigSettings = "settings"
	// ConfigModel picks the program; when set it must agree with settings.model.
	ConfigModel = "model"
)

// LoadSettings reads and validates `ssm-runas:settings` from the stack's
// config. `ssm-runas:model`, when set, picks the model and must match.
func LoadSettings(ctx *pulumi.Context) (*settings.Config, error) {
	c := pulumiconfig.New(ctx, ConfigNamespace)
	raw := c.Get(ConfigSettings)
	if raw == "" {
		return nil, fmt.Errorf("config %s:%s is not set: put the configuration (see examples/) under it in Pulumi.<stack>.yaml", ConfigNamespace, ConfigSettings)
	}
	cfg, err := settings.Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("config %s:%s: %w", ConfigNamespace, ConfigSettings, err)
	}
	if m := c.Get(ConfigModel); m != "" && settings.Model(m) != cfg.Model {
		return nil, fmt.Errorf("config %s:%s %q does not match settings.model %q", ConfigNamespace, ConfigModel, m, cfg.Model)
	}
	return cfg, nil
}

// WriterArtifact returns the writer's zip: the configured prebuilt file, or
// a reproducible build from source.
func WriterArtifact(ctx context.Context, w settings.Writer) (artifact.Zip, error) {
	if w.ZipPath != "" {
		return artifact.FromFile(w.ZipPath)
	}
	return artifact.BuildWriter(ctx, artifact.BuildOptions{})
}
