// Package iamsim evaluates IAM requests against policies with a real policy
// evaluator, @cloud-copilot/iam-simulate (identity policies, SCPs,
// resource policies and every condition operator), so tests check what AWS
// would decide rather than the text we emit. The evaluator is a Node
// package, installed for tests only into tests/iamsim:
//
//	cd tests/iamsim && npm ci
//
// https://github.com/cloud-copilot/iam-simulate
package iamsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
)

// InstallCommand installs the evaluator.
const InstallCommand = "cd tests/iamsim && npm ci"

// Decisions the evaluator gives.
const (
	Allowed          = "Allowed"
	ExplicitlyDenied = "ExplicitlyDenied"
	ImplicitlyDenied = "ImplicitlyDenied"
)

// Policy is a named policy document.
type Policy struct {
	Name   string          `json:"name"`
	Policy json.RawMessage `json:"policy"`
}

// OrgLevel is the SCPs attached at one level of the organization (root, OU,
// account), in order from the root.
type OrgLevel struct {
	OrgIdentifier string   `json:"orgIdentifier"`
	Policies      []Policy `json:"policies"`
}

// Request is one request to authorize.
type Request struct {
	// Name identifies the request in the answer.
	Name                   string          `json:"name"`
	IdentityPolicies       []Policy        `json:"identityPolicies"`
	ServiceControlPolicies []OrgLevel      `json:"serviceControlPolicies"`
	ResourcePolicy         json.RawMessage `json:"resourcePolicy,omitempty"`
	// Principal is the ARN of the caller (an assumed-role session, a role,
	// a user, or a SAML provider for federated sign-in).
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Resource  string `json:"resource"`
	// ResourceAccount is the account that owns Resource.
	ResourceAccount string `json:"resourceAccount"`
	// Context holds the request's condition keys; the evaluator fills in
	// none by itself.
	Context map[string]any `json:"context"`
}

// Answer is the evaluator's decision on one request.
type Answer struct {
	Name string `json:"name"`
	// Decision is Allowed, ExplicitlyDenied or ImplicitlyDenied; "Error"
	// when the evaluator refused the request (Errors says why).
	Decision string `json:"decision"`
	// DenyStatements are the Sids of the Deny statements that matched.
	DenyStatements []string        `json:"denyStatements"`
	Errors         json.RawMessage `json:"errors,omitempty"`
}

// ErrNotInstalled is returned when node or the evaluator is missing.
var ErrNotInstalled = errors.New("the IAM policy evaluator is not installed")

// Dir is tests/iamsim in this checkout.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tests", "iamsim")
}

// Check reports whether node and the evaluator are installed, and if not,
// how to install them.
func Check() error { return checkDir(Dir()) }

func checkDir(dir string) error {
	if err := testtools.NodePackage(dir, InstallCommand, filepath.Join("node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		return fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return nil
}

// Evaluate runs every request through the evaluator in one process and
// returns the answers in the same order.
func Evaluate(ctx context.Context, reqs []Request) ([]Answer, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	in, err := json.Marshal(reqs)
	if err != nil {
		return nil, fmt.Errorf("encoding the evaluation requests: %w", err)
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(Dir(), "evaluate.js"))
	cmd.Dir = Dir()
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running the IAM policy evaluator: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var out []Answer
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("reading the IAM policy evaluator's answer: %w", err)
	}
	if len(out) != len(reqs) {
		return nil, fmt.Errorf("the IAM policy evaluator answered %d of %d requests", len(out), len(reqs))
	}
	return out, nil
}

// Decide evaluates reqs and reports, in order, whether each is allowed.
// A request the evaluator refused to decide is an error naming it.
func Decide(ctx context.Context, reqs []Request) ([]bool, error) {
	answers, err := Evaluate(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(answers))
	for i, a := range answers {
		if a.Decision == "Error" {
			return nil, fmt.Errorf("the IAM policy evaluator refused request %d (%s): %s", i, a.Name, a.Errors)
		}
		out[i] = a.Decision == Allowed
	}
	return out, nil
}

// Outcome is what the evaluator decided for one case of a table, over
// every request the case made: allowed only when every request is.
type Outcome struct {
	Allowed bool
	// Denies are the Sids of the Deny statements that matched.
	Denies []string
	// Errors are the evaluator's refusals of malformed requests.
	Errors []string
}

// EvaluateSets runs a table of cases against several sets of policies in
// one evaluator run. sets[k] holds set k's requests, each named by the
// index of its case (a case may make several requests); cases is the
// number of cases. out[k][i] is case i's outcome under set k.
func EvaluateSets(ctx context.Context, cases int, sets [][]Request) ([][]Outcome, error) {
	var reqs []Request
	for k, set := range sets {
		for _, r := range set {
			r.Name = fmt.Sprintf("%d/%s", k, r.Name)
			reqs = append(reqs, r)
		}
	}
	answers, err := Evaluate(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([][]Outcome, len(sets))
	for k := range out {
		out[k] = make([]Outcome, cases)
		for i := range out[k] {
			out[k][i].Allowed = true
		}
	}
	for _, a := range answers {
		var k, i int
		if _, err := fmt.Sscanf(a.Name, "%d/%d", &k, &i); err != nil || k >= len(out) || i >= cases {
			return nil, fmt.Errorf("evaluator answer %q names no case", a.Name)
		}
		o := &out[k][i]
		if a.Decision != Allowed {
			o.Allowed = false
		}
		if a.Decision == "Error" {
			o.Errors = append(o.Errors, string(a.Errors))
		}
		o.Denies = append(o.Denies, a.DenyStatements...)
	}
	return out, nil
}
