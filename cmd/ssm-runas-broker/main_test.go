package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

// runtimeAPI emulates the Lambda runtime API for one invocation: it hands
// out ev at /next and records the function's response or error.
type runtimeAPI struct {
	*httptest.Server
	ev        []byte
	mu        sync.Mutex
	responded chan struct{}
	status    string
	body      []byte
}

func newRuntimeAPI(t testing.TB, ev []byte) *runtimeAPI {
	r := &runtimeAPI{ev: ev, responded: make(chan struct{})}
	served := false
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodGet && req.URL.Path == "/2018-06-01/runtime/invocation/next":
			r.mu.Lock()
			first := !served
			served = true
			r.mu.Unlock()
			if !first {
				// Park the function after its one invocation, as Lambda
				// freezes it.
				<-req.Context().Done()
				return
			}
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", "0e6f9c1c-0000-4000-8000-000000000001")
			w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:111111111111:function:ssm-runas-broker")
			_, _ = w.Write(r.ev)
		case req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/2018-06-01/runtime/"):
			body, _ := io.ReadAll(req.Body)
			r.mu.Lock()
			r.status, r.body = req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:], body
			r.mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			close(r.responded)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Server.Close)
	return r
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary builds the function as it is deployed (lambda.norpc).
func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ssm-runas-broker-*")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "bootstrap")
		out, err := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func brokerRules(t testing.TB) string {
	data, err := json.Marshal(rules.Rules{
		OrganizationID:  "o-a1b2c3d4e5",
		PermissionSets:  map[string]string{"Admin": "admin"},
		SessionRoleName: "ssm-runas-session",
		Regions:         []string{"eu-west-1"},
	})
	require.NoError(t, err)
	return string(data)
}

func functionURLEvent(t testing.TB) []byte {
	data, err := os.ReadFile("../../pkg/runas/cloud/broker/testdata/function-url-request.json")
	require.NoError(t, err)
	return data
}

// invoke starts the built function against a fresh runtime API and returns
// its answer and the time from process start to the answer.
func invoke(t testing.TB, bin string, env []string, ev []byte) (broker.Response, string, time.Duration) {
	t.Helper()
	api := newRuntimeAPI(t, ev)
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.URL, "http://"), "PATH=" + os.Getenv("PATH")}, env...)
	stdout := &lockedBuffer{}
	cmd.Stdout = stdout
	start := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	select {
	case <-api.responded:
	case err := <-exited:
		require.FailNowf(t, "the function exited before answering", "%v\n%s", err, stdout.String())
	case <-time.After(30 * time.Second):
		require.FailNow(t, "the function did not answer within 30s")
	}
	took := time.Since(start)
	// The function logs its decision line around the time it posts the
	// answer; wait for it rather than read a half-written log.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stdout.String(), "\n") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	require.Equal(t, "response", api.status, string(api.body))
	var resp broker.Response
	require.NoError(t, json.Unmarshal(api.body, &resp))
	return resp, stdout.String(), took
}

func TestFunctionAnswersThroughTheRuntimeAPI(t *testing.T) {
	bin := buildBinary(t)
	m := motoserver.Start(t)
	env := []string{rules.EnvVar + "=" + brokerRules(t), "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIAMOTOTESTING00000",
		"AWS_SECRET_ACCESS_KEY=secret", "AWS_ENDPOINT_URL=" + m.URL}
	resp, logs, _ := invoke(t, bin, env, functionURLEvent(t))
	// STS answers from moto_server; moto_server does not implement
	// ssm:StartSession, so the allowed request ends as the broker's 502
	// naming the StartSession call: the whole path ran.
	assert.Equal(t, 502, resp.StatusCode, resp.Body)
	assert.Contains(t, resp.Body, "starting a session on i-0123456789abcdef0 in 222222222222/eu-west-1")
	var line broker.LogLine
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(logs)), &line), logs)
	assert.Equal(t, broker.DecisionError, line.Decision)
	assert.Equal(t, "alice@example.com", line.Person)
	assert.Equal(t, "admin", line.LinuxUser)
}

func TestFunctionRefusesToStartWithoutValidRules(t *testing.T) {
	bin := buildBinary(t)
	for name, value := range map[string]string{"missing": "", "not JSON": "{", "root user": `{"organizationId":"o-a1b2c3d4e5","permissionSets":{"Admin":"root"},"sessionRoleName":"r","regions":["eu-west-1"]}`} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Env = []string{rules.EnvVar + "=" + value, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1", "AWS_REGION=eu-west-1"}
			out, err := cmd.Output()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, 1, ee.ExitCode())
			assert.Contains(t, string(out), `"decision":"error"`)
		})
	}
}

// BenchmarkColdStart measures a cold start locally: from starting the
// built function (a fresh process, as a new execution environment) to its
// first answer through the emulated runtime API, for a request refused
// before any AWS call (an unsigned event). Reports p50 and p99.
func BenchmarkColdStart(b *testing.B) {
	bin := buildBinary(b)
	env := []string{rules.EnvVar + "=" + brokerRules(b), "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=x"}
	ev := []byte(`{"version":"2.0","requestContext":{"http":{"method":"POST"}},"body":"{}"}`)
	var took []time.Duration
	for b.Loop() {
		resp, _, d := invoke(b, bin, env, ev)
		if resp.StatusCode != http.StatusForbidden {
			b.Fatalf("status %d, want 403: %s", resp.StatusCode, resp.Body)
		}
		took = append(took, d)
	}
	reportPercentiles(b, took)
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	p := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// lockedBuffer is the function's stdout, written by the process while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
