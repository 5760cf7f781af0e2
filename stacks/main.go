// Command stacks is the Pulumi program of the ssm-runas project. It resolves
// everything a program needs from the stack (the configuration under
// ssm-runas:settings, the SCIM token, the stack's aws settings, the writer
// Lambda's zip and, with a broker section, the session broker's) and runs the program of the configured model. The programs
// live in packages of their own and take those as arguments, so tests and
// `runas plan` run exactly the same code under mocks.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	"github.com/ssm-runas/ssm-runas/stacks/programs"
)

// Stack config keys in the ssm-runas namespace.
const (
	Namespace = "ssm-runas"
	// KeySettings holds the whole configuration, the structure of the YAML
	// file the CLI reads.
	KeySettings = "settings"
	// KeyModel is optional; when set it must agree with settings.model.
	KeyModel = "model"
	// KeySCIMToken is the secret SCIM token Identity Center issues.
	KeySCIMToken = "scimToken"
	// KeyLayers is optional: all (default), entra or aws.
	KeyLayers = "layers"
)

// SCIMTokenEnv is read when the ssm-runas:scimToken secret is not set.
const SCIMTokenEnv = "SSM_RUNAS_SCIM_TOKEN"

func main() {
	pulumi.Run(run)
}

func run(ctx *pulumi.Context) error {
	cfg, err := loadSettings(ctx)
	if err != nil {
		return err
	}
	program, err := programs.For(cfg.Model)
	if err != nil {
		return err
	}
	in, err := resolveInputs(ctx, cfg)
	if err != nil {
		return err
	}
	return program(ctx, cfg, in)
}

// loadSettings reads and validates ssm-runas:settings.
func loadSettings(ctx *pulumi.Context) (*settings.Config, error) {
	c := config.New(ctx, Namespace)
	raw := c.Get(KeySettings)
	if raw == "" {
		return nil, fmt.Errorf("config %s:%s is not set: put the configuration (see examples/) under it in Pulumi.<stack>.yaml", Namespace, KeySettings)
	}
	cfg, err := settings.Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("config %s:%s: %w", Namespace, KeySettings, err)
	}
	if m := c.Get(KeyModel); m != "" && settings.Model(m) != cfg.Model {
		return nil, fmt.Errorf("config %s:%s %q does not match settings.model %q", Namespace, KeyModel, m, cfg.Model)
	}
	return cfg, nil
}

func resolveInputs(ctx *pulumi.Context, cfg *settings.Config) (deploy.Inputs, error) {
	c := config.New(ctx, Namespace)
	layers, err := deploy.ParseLayers(c.Get(KeyLayers))
	if err != nil {
		return deploy.Inputs{}, err
	}
	in := deploy.Inputs{Layers: layers}
	if token := c.Get(KeySCIMToken); token != "" {
		in.SCIMToken = pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput)
	} else if token := os.Getenv(SCIMTokenEnv); token != "" {
		in.SCIMToken = pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput)
	}
	if layers.AWS() {
		if in.AWS, err = awsSettings(ctx); err != nil {
			return deploy.Inputs{}, err
		}
		if in.Writer, err = writer(ctx, cfg.Writer); err != nil {
			return deploy.Inputs{}, err
		}
		if cfg.Broker != nil {
			if in.Broker, err = broker(ctx, *cfg.Broker); err != nil {
				return deploy.Inputs{}, err
			}
		}
	}
	return in, nil
}

// broker returns the session broker's zip: broker.zipPath, relative to the
// project root, or a reproducible build from this source tree.
func broker(ctx *pulumi.Context, b settings.Broker) (artifact.Zip, error) {
	if b.ZipPath != "" {
		root, err := projectRoot()
		if err != nil {
			return artifact.Zip{}, err
		}
		return artifact.Broker.FromFile(b.ZipPathFrom(root))
	}
	return artifact.BuildBroker(ctx.Context(), artifact.BuildOptions{})
}

// writer returns the writer's zip: writer.zipPath, relative to the project
// root (where Pulumi.yaml is; the program itself runs in stacks/), or a
// reproducible build from this source tree.
func writer(ctx *pulumi.Context, w settings.Writer) (artifact.Zip, error) {
	if w.ZipPath != "" {
		root, err := projectRoot()
		if err != nil {
			return artifact.Zip{}, err
		}
		return artifact.FromFile(w.ZipPathFrom(root))
	}
	return artifact.BuildWriter(ctx.Context(), artifact.BuildOptions{})
}

// projectRoot is the nearest directory at or above the working directory
// holding Pulumi.yaml.
func projectRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("resolving a zipPath: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("resolving a zipPath: no Pulumi.yaml at or above %s", wd)
		}
	}
}

// awsConfigKeys are the aws:* stack settings the program hands to its
// providers. Explicit providers do not read the stack configuration, so a
// setting not listed here would be silently ignored: awsSettings refuses it.
var awsConfigKeys = map[string]bool{
	"region": true, "profile": true, "sharedConfigFiles": true, "sharedCredentialsFiles": true,
	"assumeRole": true, "allowedAccountIds": true, "forbiddenAccountIds": true, "stsRegion": true,
	"maxRetries": true, "retryMode": true, "skipCredentialsValidation": true, "skipRequestingAccountId": true,
	"skipMetadataApiCheck": true, "s3UsePathStyle": true, "accessKey": true, "secretKey": true, "token": true,
	"defaultTags": true,
}

// awsSettings reads the stack's aws:* settings for the program's providers.
// aws:region only picks where the default provider would run; the program
// names the region of each provider itself.
func awsSettings(ctx *pulumi.Context) (deploy.AWSSettings, error) {
	if err := refuseUnknownAWSKeys(os.Getenv("PULUMI_CONFIG")); err != nil {
		return deploy.AWSSettings{}, err
	}
	c := config.New(ctx, "aws")
	var s deploy.AWSSettings
	var err error
	s.Profile = c.Get("profile")
	s.StsRegion = c.Get("stsRegion")
	s.RetryMode = c.Get("retryMode")
	s.AccessKey, s.SecretKey, s.Token = c.Get("accessKey"), c.Get("secretKey"), c.Get("token")
	s.MaxRetries = c.GetInt("maxRetries")
	s.SkipCredentialsValidation = c.GetBool("skipCredentialsValidation")
	s.SkipRequestingAccountID = c.GetBool("skipRequestingAccountId")
	s.SkipMetadataAPICheck = c.GetBool("skipMetadataApiCheck")
	s.S3UsePathStyle = c.GetBool("s3UsePathStyle")
	for key, dst := range map[string]any{
		"sharedConfigFiles":      &s.SharedConfigFiles,
		"sharedCredentialsFiles": &s.SharedCredentialsFiles,
		"allowedAccountIds":      &s.AllowedAccountIDs,
		"forbiddenAccountIds":    &s.ForbiddenAccountIDs,
		"assumeRole":             &s.AssumeRole,
	} {
		if err = c.TryObject(key, dst); err != nil && !errors.Is(err, config.ErrMissingVar) {
			return deploy.AWSSettings{}, fmt.Errorf("config aws:%s: %w", key, err)
		}
	}
	var tags struct {
		Tags map[string]string `json:"tags"`
	}
	if err = c.TryObject("defaultTags", &tags); err == nil {
		s.DefaultTags = tags.Tags
	} else if !errors.Is(err, config.ErrMissingVar) {
		return deploy.AWSSettings{}, fmt.Errorf("config aws:defaultTags: %w", err)
	}
	return s, nil
}

// refuseUnknownAWSKeys fails for aws:* keys in the stack's configuration
// (PULUMI_CONFIG, a JSON object of "namespace:key" to value) that the
// program does not pass to its providers.
func refuseUnknownAWSKeys(pulumiConfig string) error {
	if pulumiConfig == "" {
		return nil
	}
	var all map[string]any
	if err := json.Unmarshal([]byte(pulumiConfig), &all); err != nil {
		return fmt.Errorf("reading the stack configuration: %w", err)
	}
	var unknown []string
	for k := range all {
		if key, ok := strings.CutPrefix(k, "aws:"); ok && !awsConfigKeys[key] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("stack config %s: not passed to the program's aws providers (one per region, which do not read the stack configuration); supported: aws:%s",
		strings.Join(unknown, ", "), strings.Join(sortedKeys(awsConfigKeys), ", aws:"))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
