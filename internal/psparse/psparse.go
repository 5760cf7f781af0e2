package psparse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
)

// InstallCommand installs the parser.
const InstallCommand = "cd tests/psparse && npm ci"

// ErrNotInstalled is returned when node or the parser is missing.
var ErrNotInstalled = errors.New("the PowerShell parser is not installed")

// Problem is a node the grammar could not place: ERROR (text it could not
// parse) or MISSING (a token it had to invent, such as a closing brace).
type Problem struct {
	Kind   string `json:"kind"`
	Type   string `json:"type"`
	Row    int    `json:"row"`
	Column int    `json:"column"`
	Text   string `json:"text"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s at %d:%d: %q", p.Kind, p.Row, p.Column, p.Text)
}

// Result is what the parser found in one script.
type Result struct {
	File     string    `json:"file"`
	Problems []Problem `json:"problems"`
	// VerbatimStrings are the contents of the single-quoted strings, with
	// '' read as one quote: the values a script passes as literals.
	VerbatimStrings []string `json:"verbatimStrings"`
	// ExpandableStrings are the double-quoted strings and here-strings as
	// written, quotes included: PowerShell expands $ and $(...) in them.
	ExpandableStrings []string `json:"expandableStrings"`
	// Variables are the variable references as written ($name, ${name}).
	Variables []string `json:"variables"`
}

// Dir is tests/psparse in this checkout.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tests", "psparse")
}

// Check reports whether node and the parser are installed, and if not, how
// to install them.
func Check() error { return checkDir(Dir()) }

func checkDir(dir string) error {
	if err := testtools.NodePackage(dir, InstallCommand,
		filepath.Join("node_modules", "tree-sitter-powershell", "tree-sitter-powershell.wasm"),
		filepath.Join("node_modules", "web-tree-sitter", "package.json")); err != nil {
		return fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return nil
}

// Parse parses the scripts in one Node process and returns a result per
// script, in order. Files are named script-N.ps1 in the results.
func Parse(ctx context.Context, scripts ...[]byte) ([]Result, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if len(scripts) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "psparse-")
	if err != nil {
		return nil, fmt.Errorf("creating a directory for the scripts: %w", err)
	}
	defer os.RemoveAll(dir)
	args := []string{filepath.Join(Dir(), "parse.js")}
	for i, s := range scripts {
		p := filepath.Join(dir, fmt.Sprintf("script-%d.ps1", i))
		if err := os.WriteFile(p, s, 0o600); err != nil {
			return nil, fmt.Errorf("writing %s: %w", p, err)
		}
		args = append(args, p)
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = Dir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running the PowerShell parser: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var out []Result
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("reading the PowerShell parser's answer: %w", err)
	}
	if len(out) != len(scripts) {
		return nil, fmt.Errorf("the PowerShell parser answered for %d of %d scripts", len(out), len(scripts))
	}
	for i := range out {
		out[i].File = filepath.Base(out[i].File)
	}
	return out, nil
}

// Require parses the scripts, failing the test with InstallCommand when the
// parser is missing.
func Require(t testing.TB, scripts ...[]byte) []Result {
	t.Helper()
	res, err := Parse(context.Background(), scripts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return res
}

// Clean returns a line per ERROR or MISSING node, or "" when there is none.
func (r Result) Clean() string {
	lines := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Literal reports whether value is the whole content of one of the
// script's single-quoted strings.
func (r Result) Literal(value string) bool {
	for _, s := range r.VerbatimStrings {
		if s == value {
			return true
		}
	}
	return false
}
