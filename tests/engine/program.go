package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// The stack program is the project's real entry, stacks/main.go, built
// once per test run and started for each preview and update the way the
// Go language host starts it: in the program directory, with the engine's
// addresses, the project, stack, configuration and dry-run flag in the
// PULUMI_* environment.
var (
	buildOnce   sync.Once
	programPath string
	buildErr    error
)

// repoRoot is the project root (where Pulumi.yaml is), relative to this
// module.
const repoRoot = "../.."

// stacksBinary builds stacks/ with the main module's go.mod, as `pulumi up`
// does, and returns the binary's path.
func stacksBinary() (string, error) {
	buildOnce.Do(func() {
		root, err := filepath.Abs(repoRoot)
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "ssm-runas-engine-")
		if err != nil {
			buildErr = err
			return
		}
		programPath = filepath.Join(dir, "stacks")
		cmd := exec.Command("go", "build", "-o", programPath, "./stacks")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the stack program (go build ./stacks in %s): %w\n%s", root, err, out)
		}
	})
	return programPath, buildErr
}

// runProgram starts the stack program against the engine.
func runProgram(info plugin.RunInfo, engineAddr string) error {
	bin, err := stacksBinary()
	if err != nil {
		return err
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return err
	}
	cfg := map[string]string{}
	for k, v := range info.Config {
		cfg[k.String()] = v
	}
	secrets := []string{}
	for _, k := range info.ConfigSecretKeys {
		secrets = append(secrets, k.String())
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	secretsJSON, err := json.Marshal(secrets)
	if err != nil {
		return err
	}

	cmd := exec.Command(bin)
	cmd.Dir = filepath.Join(root, "stacks")
	for _, kv := range os.Environ() {
		// The stack's configuration is all the program reads: not a SCIM
		// token or Pulumi settings from the environment running the tests.
		if !strings.HasPrefix(kv, "PULUMI_") && !strings.HasPrefix(kv, "SSM_RUNAS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"PULUMI_MONITOR="+info.MonitorAddress,
		"PULUMI_ENGINE="+engineAddr,
		"PULUMI_PROJECT="+info.Project,
		"PULUMI_STACK="+info.Stack,
		"PULUMI_ROOT_DIRECTORY="+root,
		"PULUMI_CONFIG="+string(cfgJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretsJSON),
		"PULUMI_DRY_RUN="+strconv.FormatBool(info.DryRun),
		"PULUMI_PARALLEL="+strconv.Itoa(int(info.Parallel)),
	)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("stack program: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
