package engine

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/display"
	pengine "github.com/pulumi/pulumi/pkg/v3/engine"
	lt "github.com/pulumi/pulumi/pkg/v3/engine/lifecycletest/framework"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"
)

// Project and stack names the engine runs under (Pulumi.yaml's project).
const (
	projectName = "ssm-runas"
	stackName   = "dev"
)

// Stack is one stack of the project, deployed by Pulumi's engine with the
// fake providers acting on a World. It keeps the engine's snapshot between
// operations, as the Pulumi service keeps a stack's state.
type Stack struct {
	t *testing.T
	// World is the cloud the stack deploys to.
	World *World
	// Settings is the `ssm-runas:settings` structure, as parsed from YAML;
	// tests edit it between operations.
	Settings map[string]any
	// Config holds further stack configuration (aws:region, the SCIM token).
	Config map[string]string

	snap *deploy.Snapshot
	runs int
}

// NewStack returns a stack configured from a settings YAML file, with a
// prebuilt writer zip (and broker zip, with a broker section) so no build
// runs, aws:region set to the home region
// and the SCIM token set.
func NewStack(t *testing.T, w *World, settingsFile string) *Stack {
	t.Helper()
	raw, err := os.ReadFile(settingsFile)
	if err != nil {
		t.Fatalf("reading %s: %v", settingsFile, err)
	}
	var settings map[string]any
	if err := yaml.Unmarshal(raw, &settings); err != nil {
		t.Fatalf("parsing %s: %v", settingsFile, err)
	}
	writer, _ := settings["writer"].(map[string]any)
	if writer == nil {
		writer = map[string]any{}
	}
	writer["zipPath"] = WriterZip(t, "writer stand-in")
	settings["writer"] = writer
	if broker, ok := settings["broker"].(map[string]any); ok {
		broker["zipPath"] = WriterZip(t, "broker stand-in")
	}
	return &Stack{
		t:        t,
		World:    w,
		Settings: settings,
		Config: map[string]string{
			"aws:region":          "eu-west-1",
			"ssm-runas:scimToken": "scim-token-from-identity-center",
		},
	}
}

// WriterZip writes a small, valid zip standing for a Lambda's code (the
// writer's or the broker's), with content as its one file, and returns its
// path.
func WriterZip(t *testing.T, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("bootstrap")
	if err == nil {
		_, err = f.Write([]byte(content))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatalf("building the writer zip: %v", err)
	}
	path := filepath.Join(t.TempDir(), "writer.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("writing the writer zip: %v", err)
	}
	return path
}

// Step is one resource step the engine took.
type Step struct {
	Op   display.StepOp
	URN  resource.URN
	Type string
	// Replace lists the properties that caused a replacement.
	Replace []resource.PropertyKey
	// Diffs lists the properties that changed.
	Diffs []resource.PropertyKey
}

func (s Step) String() string {
	out := fmt.Sprintf("%s %s %s", s.Op, s.Type, s.URN.Name())
	if len(s.Replace) > 0 {
		out += fmt.Sprintf(" (replace on %v)", s.Replace)
	} else if len(s.Diffs) > 0 {
		out += fmt.Sprintf(" (changed %v)", s.Diffs)
	}
	return out
}

// Result is what one preview or update did.
type Result struct {
	// Err is the operation's error (nil when it succeeded).
	Err error
	// Steps are the engine's resource steps, in the order they started.
	Steps []Step
	// Messages are the diagnostics the program and the engine reported.
	Messages []string
	// Outputs are the stack outputs (after an update).
	Outputs resource.PropertyMap
	// Changes are the providers' changes during this update, in order.
	Changes []Operation
}

// Changed returns the steps that are not "same" (nor reads).
func (r Result) Changed() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Op != deploy.OpSame && s.Op != deploy.OpRead {
			out = append(out, s)
		}
	}
	return out
}

// Deletes returns the steps that delete or replace something.
func (r Result) Deletes() []Step {
	var out []Step
	for _, s := range r.Steps {
		switch s.Op {
		case deploy.OpDelete, deploy.OpDeleteReplaced, deploy.OpReplace, deploy.OpCreateReplacement,
			deploy.OpDiscardReplaced:
			out = append(out, s)
		}
	}
	return out
}

// Preview runs `pulumi preview`.
func (s *Stack) Preview() Result { return s.run(true) }

// Up runs `pulumi up` (without the preview, which Preview runs) and keeps
// the new state when it succeeds or fails part-way, as the service does.
func (s *Stack) Up() Result { return s.run(false) }

func (s *Stack) run(dryRun bool) Result {
	t := s.t
	t.Helper()
	settings, err := json.Marshal(s.Settings)
	if err != nil {
		t.Fatalf("encoding the settings: %v", err)
	}
	cfg := config.Map{config.MustMakeKey("ssm-runas", "settings"): config.NewObjectValue(string(settings))}
	for k, v := range s.Config {
		cfg[config.MustParseKey(k)] = config.NewValue(v)
	}

	var out syncBuffer
	sink := diag.DefaultSink(&out, &out, diag.FormatOptions{Color: colors.Never})
	var host plugin.Host
	runtime := deploytest.NewLanguageRuntime(func(info plugin.RunInfo, _ *deploytest.ResourceMonitor) error {
		return runProgram(info, host.ServerAddr())
	})
	hostF := func() plugin.Host {
		host = deploytest.NewPluginHost(sink, sink, runtime, s.World.Loaders()...)
		return host
	}

	plan := &lt.TestPlan{
		Project: projectName,
		Stack:   stackName,
		Runtime: "go",
		Config:  cfg,
		Options: lt.TestUpdateOptions{T: t, HostF: hostF, SkipDisplayTests: true},
	}
	before := len(s.World.Log())
	var res Result
	validate := func(_ workspace.Project, _ deploy.Target, _ pengine.JournalEntries, events []pengine.Event, err error) error {
		res.Steps, res.Messages = collect(events)
		return err
	}
	s.runs++
	snap, err := lt.TestOp(pengine.Update).RunStep(plan.GetProject(), plan.GetTarget(t, s.snap), plan.Options, dryRun,
		nil, validate, fmt.Sprintf("run-%d", s.runs))
	res.Err = err
	if msgs := strings.TrimSpace(out.String()); msgs != "" {
		res.Messages = append(res.Messages, strings.Split(msgs, "\n")...)
	}
	if dryRun {
		return res
	}
	if snap != nil {
		s.snap = snap
		for _, r := range snap.Resources {
			if r.Type == resource.RootStackType {
				res.Outputs = r.Outputs
			}
		}
	}
	res.Changes = s.World.Log()[before:]
	return res
}

// Providers returns the inputs of the stack's providers of package pkg
// (explicit and default), by URN, from the state.
func (s *Stack) Providers(pkg string) map[resource.URN]resource.PropertyMap {
	out := map[resource.URN]resource.PropertyMap{}
	if s.snap == nil {
		return out
	}
	for _, r := range s.snap.Resources {
		if string(r.Type) == "pulumi:providers:"+pkg && !r.Delete {
			out[r.URN] = r.Inputs
		}
	}
	return out
}

func collect(events []pengine.Event) ([]Step, []string) {
	var steps []Step
	var msgs []string
	for _, e := range events {
		switch p := e.Payload().(type) {
		case pengine.ResourcePreEventPayload:
			m := p.Metadata
			if m.Type == resource.RootStackType {
				continue
			}
			steps = append(steps, Step{Op: m.Op, URN: m.URN, Type: string(m.Type), Replace: m.Keys, Diffs: m.Diffs})
		case pengine.DiagEventPayload:
			if p.Severity != diag.Debug {
				msgs = append(msgs, strings.TrimSpace(colors.Never.Colorize(p.Message)))
			}
		}
	}
	return steps, msgs
}

// syncBuffer collects what the plugin host logs, from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
