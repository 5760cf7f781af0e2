// Package fakeplugin builds a stand-in session-manager-plugin for tests and
// reads back how it was started, so a test can check that a caller passes
// the plugin exactly the arguments the AWS CLI passes.
package fakeplugin

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Run is one recorded start of the plugin.
type Run struct {
	Args []string `json:"args"`
	// ResponseEnv is AWS_SSM_START_SESSION_RESPONSE, when it was set.
	ResponseEnv *string `json:"responseEnv"`
}

// Plugin is a built stand-in.
type Plugin struct {
	// Dir holds the executable session-manager-plugin; put it first on PATH.
	Dir string
	// Path is the executable.
	Path string
	// Record is the file each run is appended to.
	Record string
}

// Build compiles the stand-in into a temporary directory.
func Build(t testing.TB) *Plugin {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "session-manager-plugin")
	dir := t.TempDir()
	bin := filepath.Join(dir, "session-manager-plugin")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in session-manager-plugin: %v\n%s", err, out)
	}
	return &Plugin{Dir: dir, Path: bin, Record: filepath.Join(t.TempDir(), "runs.jsonl")}
}

// Env is the environment that makes the stand-in report version and record
// its runs.
func (p *Plugin) Env(version string) []string {
	return []string{"FAKEPLUGIN_VERSION=" + version, "FAKEPLUGIN_RECORD=" + p.Record}
}

// Runs returns every recorded run, oldest first.
func (p *Plugin) Runs(t testing.TB) []Run {
	t.Helper()
	f, err := os.Open(p.Record)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading the plugin's record: %v", err)
	}
	defer f.Close()
	var runs []Run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r Run
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("reading the plugin's record: %v", err)
		}
		runs = append(runs, r)
	}
	return runs
}
