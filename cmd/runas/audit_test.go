package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
	"github.com/ssm-runas/ssm-runas/internal/faultproxy"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// awsEnv points the AWS SDK at moto's fake credentials and nothing else.
func awsEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAMOTOTESTING00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// seeded is an organization in moto and a configuration file for it.
type seeded struct {
	srv     *motoserver.Server
	factory *awsorg.Factory
	org     orgseed.Org
	config  string
	prefs   *sessiondoc.Preferences
}

// seedOrg builds accounts x one region in moto with states from stateOf,
// a StackSet with an instance per account, and a configuration naming the
// organization's first OU. Its Identity Center has no per-user permission
// sets, so only the ABAC mapping is read there: run the CLI through
// abacProxy, since moto lacks that call.
func seedOrg(t *testing.T, accounts int, stateOf func(int, string) orgseed.State) *seeded {
	t.Helper()
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	f := awsorg.NewFactory(srv.Config("eu-west-1"), "123456789012", awsorg.FactoryOptions{})
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{Accounts: accounts, Regions: []string{"eu-west-1"}, Prefs: prefs, StateOf: stateOf})
	require.NoError(t, err)
	cf := f.CloudFormation("eu-west-1")
	_, err = cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{StackSetName: aws.String(settings.DefaultStackSetName),
		TemplateBody: aws.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":"ssm-runas-test"}}}}`)})
	require.NoError(t, err)
	_, err = cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{StackSetName: aws.String(settings.DefaultStackSetName),
		Accounts: org.Accounts, Regions: []string{"eu-west-1"}})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "runas.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`model: per-user
organization:
  id: %s
  managementAccountId: "%s"
  targets: [%s]
  regions: [eu-west-1]
  managementAccount: {configure: false}
sessionPreferences:
  runAsDefaultUser: ssm-fallback
guardrail: {enabled: false}
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-72230e1a2b3c4d5e
  region: eu-west-1
  identityStoreId: d-9067a1b2c3
perUser:
  domain:
    name: corp.example.com
    dnsServers: [10.0.0.10]
    joinSecretArn: arn:aws:secretsmanager:eu-west-1:%s:secret:ssm-runas/join-AbCdEf
  loginGroups: [Linux-Users]
`, org.ID, org.ManagementAccount, org.OUs[0], org.ManagementAccount)), 0o644))
	return &seeded{srv: srv, factory: f, org: org, config: path, prefs: prefs}
}

// jsonReport is the part of the audit's JSON the tests read.
type jsonReport struct {
	Targets []struct {
		Account, Region, Status, Error string
		Findings                       []struct{ Check, Want, Got string }
	}
	Organization, IdentityCenter struct{ Status, Error string }
	Summary                      struct{ Targets, Compliant, Drift, Missing, Errors, Unchecked, NotChecked int }
	Stopped                      string
}

func TestAuditAndRemediateCommands(t *testing.T) {
	awsEnv(t)
	w := seedOrg(t, 3, func(i int, _ string) orgseed.State { return orgseed.AllStates[i] })
	common := []string{"--config", w.config, "--endpoint-url", abacProxy(t, w.srv.URL, settings.DefaultRunAsSource)}

	code, out, errOut := runCLI(t, append([]string{"audit", "--output", "json"}, common...)...)
	require.Equal(t, audit.ExitFindings, code, "audit exit code\n%s%s", out, errOut)
	var rep jsonReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, 3, rep.Summary.Targets)
	assert.Equal(t, 1, rep.Summary.Compliant)
	assert.Equal(t, 1, rep.Summary.Missing)
	assert.Equal(t, 1, rep.Summary.Drift)
	assert.Equal(t, "compliant", rep.IdentityCenter.Status, "the ABAC mapping is the configured one: %s", rep.IdentityCenter.Error)
	assert.NotEmpty(t, rep.Organization.Status)
	assert.Empty(t, errOut, "stderr is not a terminal: no progress")

	code, out, errOut = runCLI(t, append([]string{"remediate"}, common...)...)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "2 to write, 1 unchanged, 0 failed")
	assert.Contains(t, errOut, "dry run")
	assert.Regexp(t, `inputs\.runAsEnabled\s+false\s+->\s+true`, out, "the dry run shows the exact change")

	code, out, errOut = runCLI(t, append([]string{"remediate", "--apply"}, common...)...)
	require.Equal(t, 0, code, "remediate --apply\n%s%s", out, errOut)
	code, out, _ = runCLI(t, append([]string{"audit", "--output", "markdown"}, common...)...)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "**3 compliant**")
	code, out, _ = runCLI(t, append([]string{"audit", "--output", "html"}, common...)...)
	assert.Equal(t, 0, code, out)
	assert.True(t, strings.HasPrefix(out, "<!DOCTYPE html>"), "--output html writes the page")
	assert.Equal(t, 3, strings.Count(out, `<td class="cell compliant"`))
	code, out, _ = runCLI(t, append([]string{"remediate", "--apply"}, common...)...)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "0 to write, 3 unchanged", "a second remediation writes nothing")

	// Bad input is one line and a usage exit.
	for _, args := range [][]string{
		{"audit", "--output", "yaml"},
		{"audit", "--concurrency", "0"},
		{"audit", "--regions", "all"},
		{"audit", "--timeout", "0s"},
		{"remediate", "--output", "markdown"},
	} {
		code, _, errOut := runCLI(t, append(args, common...)...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Equal(t, 0, strings.Count(strings.TrimSpace(errOut), "\n"), "%v: one line: %s", args, errOut)
	}
}

// TestAuditUnreachableEndpoint: with nothing listening at the endpoint the
// audit gives up on its own (no --timeout involved) with one line naming
// the cause, after saying on stderr what it retried.
func TestAuditUnreachableEndpoint(t *testing.T) {
	awsEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	cfg := filepath.Join(t.TempDir(), "runas.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`model: per-user
organization:
  id: o-a1b2c3d4e5
  managementAccountId: "012345678901"
  targets: [r-ab12]
  regions: [eu-west-1]
sessionPreferences:
  runAsDefaultUser: ssm-fallback
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-72230e1a2b3c4d5e
  region: eu-west-1
  identityStoreId: d-9067a1b2c3
perUser:
  domain:
    name: corp.example.com
    dnsServers: [10.0.0.10]
    joinSecretArn: arn:aws:secretsmanager:eu-west-1:012345678901:secret:ssm-runas/join-AbCdEf
  loginGroups: [Linux-Users]
`), 0o644))
	for command, want := range map[string]int{"audit": audit.ExitIncomplete, "remediate": exitProblem} {
		t.Run(command, func(t *testing.T) {
			code, out, errOut := runCLI(t, command, "--config", cfg, "--endpoint-url", dead, "--timeout", "2m")
			assert.Equal(t, want, code, "%s%s", out, errOut)
			assert.Empty(t, out)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			last := lines[len(lines)-1]
			assert.True(t, strings.HasPrefix(last, "runas: "+command+": listing the organization's accounts"), last)
			assert.Contains(t, last, "connection refused")
			assert.NotContains(t, errOut, "deadline", "it must fail by itself, not at the timeout")
			assert.Contains(t, errOut, "retrying organizations in eu-west-1", "stderr says what is retried")
		})
	}
}

// buildCLI builds runas into a temporary directory, for tests that send
// it real signals.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "runas")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "building runas: %s", out)
	return bin
}

// started is a runas process whose output is collected.
type started struct {
	cmd         *exec.Cmd
	out, errOut bytes.Buffer
	done        chan error
}

func startCLI(t *testing.T, bin string, args ...string) *started {
	t.Helper()
	s := &started{done: make(chan error, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.errOut
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// wait returns the exit code, failing the test if the process does not
// end by itself within a minute.
func (s *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("runas did not stop by itself\nstdout:\n%s\nstderr:\n%s", s.out.String(), s.errOut.String())
	}
	return s.cmd.ProcessState.ExitCode()
}

// until polls cond until it holds, failing after a minute.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "waiting for %s", what)
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStopMidRun runs the built CLI against moto through a proxy that
// adds latency, so a run lasts seconds, and stops it three ways: SIGINT
// during an audit, SIGTERM during remediate --apply, and the endpoint
// going away.
func TestStopMidRun(t *testing.T) {
	awsEnv(t)
	bin := buildCLI(t)
	const accounts = 12
	w := seedOrg(t, accounts, func(int, string) orgseed.State { return orgseed.RunAsOff })
	proxy := faultproxy.New(t, abacProxy(t, w.srv.URL, settings.DefaultRunAsSource))
	proxy.Set(faultproxy.Faults{Latency: 150 * time.Millisecond})
	common := []string{"--config", w.config, "--endpoint-url", proxy.URL, "--concurrency", "2", "--output", "json"}

	t.Run("SIGINT mid-audit prints the partial report", func(t *testing.T) {
		before := proxy.Calls("GetDocument")
		p := startCLI(t, bin, append([]string{"audit"}, common...)...)
		until(t, "a few documents read", func() bool { return proxy.Calls("GetDocument") >= before+3 })
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
		code := p.wait(t)
		assert.Equal(t, audit.ExitIncomplete, code, p.errOut.String())
		var rep jsonReport
		require.NoError(t, json.Unmarshal(p.out.Bytes(), &rep), "stdout: %s\nstderr: %s", p.out.String(), p.errOut.String())
		assert.Equal(t, "interrupted by interrupt", rep.Stopped)
		assert.Equal(t, accounts, rep.Summary.Targets, "every target is in the report")
		assert.NotZero(t, rep.Summary.Drift, "what was checked before the signal is reported")
		assert.NotZero(t, rep.Summary.Unchecked, "the rest is marked unchecked")
		assert.Equal(t, accounts, rep.Summary.Drift+rep.Summary.Unchecked)
		assert.Equal(t, rep.Summary.Unchecked, rep.Summary.NotChecked)
		for _, tg := range rep.Targets {
			if tg.Status == audit.StatusUnchecked {
				assert.Equal(t, "not checked: interrupted by interrupt", tg.Error)
			}
		}
		assert.Contains(t, p.errOut.String(), "runas: audit stopped early: interrupted by interrupt")
	})

	t.Run("SIGTERM mid-remediate finishes the writes in flight", func(t *testing.T) {
		before := proxy.Calls("UpdateDocumentDefaultVersion")
		p := startCLI(t, bin, append([]string{"remediate", "--apply"}, common...)...)
		until(t, "a few writes", func() bool { return proxy.Calls("UpdateDocumentDefaultVersion") >= before+2 })
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		code := p.wait(t)
		assert.Equal(t, exitUsage, code, p.errOut.String())
		var rep struct {
			Applied                    bool
			Targets                    []struct{ Account, Region, Outcome, Error string }
			Writes, NotReached, Errors int
			Stopped                    string
		}
		require.NoError(t, json.Unmarshal(p.out.Bytes(), &rep), "stdout: %s\nstderr: %s", p.out.String(), p.errOut.String())
		assert.Equal(t, "interrupted by terminated", rep.Stopped)
		assert.True(t, rep.Applied)
		assert.Zero(t, rep.Errors, "no write was cut: %+v", rep.Targets)
		assert.NotZero(t, rep.Writes)
		assert.NotZero(t, rep.NotReached)
		assert.Equal(t, accounts, rep.Writes+rep.NotReached)
		assert.Contains(t, p.errOut.String(), fmt.Sprintf("remediate stopped early: interrupted by terminated; %d written, %d not reached", rep.Writes, rep.NotReached))

		// What the report says is what moto holds: written targets are
		// compliant, the rest untouched, and nothing is half-written.
		// Only the targets matter here: Identity Center is left out, as
		// moto lacks its ABAC call.
		cfg := mustLoad(t, w.config)
		cfg.IdentityCenter = nil
		direct := audit.FromFactory(w.factory, cfg, audit.RegionsConfigured)
		after, err := audit.Run(motoserver.Context(t), cfg, direct, audit.Options{})
		require.NoError(t, err)
		status := map[string]audit.Target{}
		for _, tg := range after.Targets {
			status[tg.Account] = tg
		}
		for _, tg := range rep.Targets {
			got := status[tg.Account]
			switch tg.Outcome {
			case "updated":
				assert.Equal(t, audit.StatusCompliant, got.Status, "%s reported written", tg.Account)
			case "not-reached":
				assert.Equal(t, audit.StatusDrift, got.Status, "%s reported not reached", tg.Account)
				for _, f := range got.Findings {
					assert.NotEqual(t, audit.CheckDefaultVersion, f.Check, "%s: a version written but not promoted", tg.Account)
				}
			default:
				t.Errorf("%s: outcome %s", tg.Account, tg.Outcome)
			}
		}
	})

	t.Run("the endpoint dies mid-run", func(t *testing.T) {
		before := proxy.Calls("GetDocument")
		p := startCLI(t, bin, append([]string{"audit"}, common...)...)
		until(t, "a few documents read", func() bool { return proxy.Calls("GetDocument") >= before+3 })
		proxy.Down()
		code := p.wait(t)
		assert.Equal(t, audit.ExitIncomplete, code, p.errOut.String())
		var rep jsonReport
		require.NoError(t, json.Unmarshal(p.out.Bytes(), &rep), "stdout: %s\nstderr: %s", p.out.String(), p.errOut.String())
		assert.Contains(t, rep.Stopped, "in a row failed", "the breaker stops the run")
		assert.NotZero(t, rep.Summary.Errors)
		assert.Equal(t, accounts, rep.Summary.Targets)
		assert.Equal(t, accounts, rep.Summary.Compliant+rep.Summary.Drift+rep.Summary.Missing+rep.Summary.Errors+rep.Summary.Unchecked)
		assert.Contains(t, p.errOut.String(), "runas: audit stopped early: stopped after every account-region in")
	})
}

func mustLoad(t *testing.T, path string) *settings.Config {
	t.Helper()
	c, err := settings.Load(path)
	require.NoError(t, err)
	return c
}

// TestProgressLine: on a terminal the progress line shows accounts done,
// account-regions done and the findings so far, redrawn in place; --quiet
// and a stderr that is not a terminal show nothing.
func TestProgressLine(t *testing.T) {
	p := audit.Progress{Accounts: 10, AccountsDone: 3, Targets: 30, TargetsDone: 30, Findings: 4}
	var buf bytes.Buffer
	(&messages{w: &buf, on: true, terminal: true}).progress(p)
	assert.Equal(t, "\r\x1b[Kaccounts 3/10, account-regions 30/30, findings 4", buf.String())

	for name, m := range map[string]*messages{
		"quiet":          {w: &buf, on: false, terminal: true},
		"not a terminal": {w: &buf, on: true, terminal: false},
		"nothing to do":  {w: &buf, on: true, terminal: true},
	} {
		buf.Reset()
		q := p
		if name == "nothing to do" {
			q = audit.Progress{}
		}
		m.progress(q)
		assert.Empty(t, buf.String(), name)
	}
	assert.False(t, newMessages(&buf, true).terminal, "a buffer is no terminal")
}

// abacProxy forwards to moto_server and answers the one Identity Center
// call moto does not implement, DescribeInstanceAccessControlAttributeConfiguration
// (moto answers it with a 500), with SSMSessionRunAs mapped from source.
func abacProxy(t *testing.T, target, source string) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	fwd := httputil.NewSingleHostReverseProxy(u)
	body, err := json.Marshal(map[string]any{"Status": "ENABLED", "InstanceAccessControlAttributeConfiguration": map[string]any{
		"AccessControlAttributes": []any{map[string]any{"Key": "SSMSessionRunAs", "Value": map[string]any{"Source": []string{source}}}}}})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeInstanceAccessControlAttributeConfiguration") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write(body)
			return
		}
		fwd.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAuditEntra runs the per-user audit against moto_server's identity
// store with and without --entra. Microsoft Graph has no emulator:
// internal/fakegraph answers in its documented shapes.
func TestAuditEntra(t *testing.T) {
	awsEnv(t)
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	f := awsorg.NewFactory(srv.Config("eu-west-1"), "123456789012", awsorg.FactoryOptions{})
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{Accounts: 1, OUs: 1})
	require.NoError(t, err)
	c, err := settings.Load(perUserExample)
	require.NoError(t, err)
	// moto's identity store keeps no enterprise extension: the value is
	// provisioned into title instead.
	config := perUserVariant(t,
		"id: o-a1b2c3d4e5", "id: "+org.ID,
		`managementAccountId: "111111111111"`, `managementAccountId: "`+org.ManagementAccount+`"`,
		"- ou-a1b2-workloads1", "- "+org.OUs[0],
		"- ou-a1b2-workloads1", "- "+org.OUs[0],
		"- ou-a1b2-workloads1", "- "+org.OUs[0],
		"    - eu-central-1\n", "",
		"runAsSource: ${path:enterprise.costCenter}", "runAsSource: ${path:title}",
		"targetAttribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", "targetAttribute: title",
	)

	ids := f.IdentityStore(c.IdentityCenter.Region)
	store := aws.String(c.IdentityCenter.IdentityStoreID)
	group, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String("SG-AWS-SSM-Linux-Users")})
	require.NoError(t, err)
	g := fakegraph.New(t)
	var members []string
	for i, p := range []struct{ upn, icValue, entraValue string }{
		{"alice@corp.example", "alice", "Alice"},
		{"bob@corp.example", "bob", ""}, // cleared in Entra, kept by Identity Center
	} {
		u, err := ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String(p.upn), Title: aws.String(p.icValue),
			DisplayName: aws.String(p.upn), Name: &idstypes.Name{GivenName: aws.String(p.upn), FamilyName: aws.String("Example")}})
		require.NoError(t, err)
		_, err = ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store,
			GroupId: group.GroupId, MemberId: &idstypes.MemberIdMemberUserId{Value: aws.ToString(u.UserId)}})
		require.NoError(t, err)
		id := fmt.Sprintf("9d0c6b1e-0000-4000-8000-%012d", i)
		g.AddUser(id, p.upn, true, "")
		g.SetAttribute(id, "onPremisesSamAccountName", p.entraValue)
		members = append(members, id)
	}
	g.SetGroup("SG-AWS-SSM-Linux-Users", members...)
	g.SetGroup("SG-AWS-SSM-DB-Operators")
	t.Setenv(GraphTokenEnv, "test-token")
	common := []string{"audit", "--config", config, "--endpoint-url", abacProxy(t, srv.URL, "${path:title}"), "--output", "json"}

	type section struct {
		Status, Error string
		Findings      []struct{ Check, Subject, Want, Got string }
	}
	var rep struct{ IdentityCenter section }
	staleOf := func(sec section) []string {
		var out []string
		for _, f := range sec.Findings {
			if f.Check == audit.CheckValueStale || f.Check == audit.CheckEntraUserMissing {
				out = append(out, f.Check+" "+f.Subject)
			}
		}
		return out
	}

	code, out, errOut := runCLI(t, common...)
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "%s%s", out, errOut)
	assert.Equal(t, audit.ExitIncomplete, code, "without --entra the stale check did not run\n%s", errOut)
	assert.Equal(t, audit.StatusError, rep.IdentityCenter.Status)
	assert.Contains(t, rep.IdentityCenter.Error, "stale values not checked")
	assert.Contains(t, rep.IdentityCenter.Error, "--entra")
	assert.Empty(t, staleOf(rep.IdentityCenter))

	code, out, errOut = runCLI(t, append(common, "--entra", "--graph-url", g.BaseURL())...)
	rep.IdentityCenter = section{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "%s%s", out, errOut)
	assert.Equal(t, audit.ExitFindings, code, errOut)
	assert.Equal(t, audit.StatusDrift, rep.IdentityCenter.Status, rep.IdentityCenter.Error)
	assert.Empty(t, rep.IdentityCenter.Error)
	assert.Equal(t, []string{"value-stale bob@corp.example"}, staleOf(rep.IdentityCenter))

	// Graph refusing for longer than the client waits: the check could not
	// run, and the report says why.
	busy := fakegraph.New(t)
	busy.Throttle, busy.RetryAfter = 1000, "100000"
	code, out, _ = runCLI(t, append(common, "--entra", "--graph-url", busy.BaseURL())...)
	rep.IdentityCenter = section{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, audit.ExitIncomplete, code)
	assert.Contains(t, rep.IdentityCenter.Error, "SG-AWS-SSM-Linux-Users")

	// --entra where it cannot apply: one line, exit 2, nothing on stdout.
	src, err := os.ReadFile(perUserExample)
	require.NoError(t, err)
	text := string(src)
	start, end := strings.Index(text, "\nentra:\n"), strings.Index(text, "\nperUser:\n")
	require.True(t, start > 0 && end > start, "the example's entra section")
	withoutEntra := perUserVariant(t, text[start:end], "")
	// A Graph token names its tenant: --entra needs no entra section then.
	cfgSrc, err := os.ReadFile(config)
	require.NoError(t, err)
	cfgText := string(cfgSrc)
	cs, ce := strings.Index(cfgText, "\nentra:\n"), strings.Index(cfgText, "\nperUser:\n")
	require.True(t, cs > 0 && ce > cs, "the audited configuration's entra section")
	tokenOnly := filepath.Join(t.TempDir(), "token-only.yaml")
	require.NoError(t, os.WriteFile(tokenOnly, []byte(cfgText[:cs]+cfgText[ce:]), 0o644))
	code, out, errOut = runCLI(t, "audit", "--config", tokenOnly, "--endpoint-url", abacProxy(t, srv.URL, "${path:title}"), "--output", "json",
		"--entra", "--graph-url", g.BaseURL())
	rep.IdentityCenter = section{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "%s%s", out, errOut)
	assert.Equal(t, audit.ExitFindings, code, errOut)
	assert.Equal(t, []string{"value-stale bob@corp.example"}, staleOf(rep.IdentityCenter))

	// Without a token, the credential chain needs entra.tenantId.
	t.Setenv(GraphTokenEnv, "")
	for name, cfg := range map[string]string{
		"no entra section": withoutEntra,
		"per-role model":   example,
	} {
		code, out, errOut := runCLI(t, "audit", "--config", cfg, "--endpoint-url", "http://127.0.0.1:1", "--entra")
		assert.Equal(t, exitUsage, code, "%s: %s", name, errOut)
		assert.Empty(t, out, name)
		assert.Equal(t, 0, strings.Count(strings.TrimSpace(errOut), "\n"), "%s: one line: %s", name, errOut)
		assert.Contains(t, errOut, "--entra", name)
	}

	_, out, _ = runCLI(t, "audit", "--help")
	assert.Contains(t, out, "--entra")
	assert.Contains(t, out, "--graph-url")
	assert.Contains(t, out, GraphTokenEnv, "--help says where the Graph credentials come from")
	roleGroups := strings.Index(out, "their role groups")
	require.Positive(t, roleGroups, out)
	assert.Contains(t, out[strings.LastIndex(out[:roleGroups], "\n\n"):roleGroups], "Per-role model:",
		"the role group rule is given as the per-role model's, not as every model's")
	flag := regexp.MustCompile(`(?m)^\s+--graph-url string\s+(.*)$`).FindStringSubmatch(out)
	require.NotNil(t, flag, out)
	assert.Contains(t, flag[1], GraphTokenEnv,
		"another cloud's Graph refuses tokens for graph.microsoft.com, which the credential chain gets: --graph-url says so")
}

// TestAuditStackNamesTheDomainController: --stack reads that stack's
// bootstrap status only; without it every stack's is read.
func TestAuditStackNamesTheDomainController(t *testing.T) {
	awsEnv(t)
	w := seedOrg(t, 1, func(int, string) orgseed.State { return orgseed.Compliant })
	src, err := os.ReadFile(w.config)
	require.NoError(t, err)
	cfg := strings.Replace(string(src), "model: per-user", "model: domain-controller", 1)
	cfg = regexp.MustCompile(`(?s)  domain:\n.*?joinSecretArn: [^\n]*\n`).ReplaceAllString(cfg, "  domain: {fromDomainControllerStack: true}\n")
	cfg += "domainController:\n  domain: corp.example.com\n  region: eu-west-1\n  seed:\n    users: [{name: alice}]\n    groups: [{name: Linux-Users, members: [alice]}]\n"
	path := filepath.Join(t.TempDir(), "dc.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o644))

	ctx := motoserver.Context(t)
	params := w.factory.SSM(w.org.ManagementAccount, "eu-west-1")
	for stack, status := range map[string]string{"prod": "failed", "dev": "complete"} {
		_, err := params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(dcbootstrap.StatusParameterName("ssm-runas", stack)),
			Value: aws.String(status), Type: ssmtypes.ParameterTypeString})
		require.NoError(t, err)
	}
	statusFindings := func(args ...string) []string {
		t.Helper()
		_, out, errOut := runCLI(t, append([]string{"audit", "--config", path, "--output", "json",
			"--endpoint-url", abacProxy(t, w.srv.URL, settings.DefaultRunAsSource)}, args...)...)
		var rep struct {
			Organization struct {
				Findings []struct{ Check, Subject string }
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &rep), "%s%s", out, errOut)
		var got []string
		for _, f := range rep.Organization.Findings {
			if strings.HasPrefix(f.Check, "domain-controller-status") {
				got = append(got, f.Check+" "+f.Subject)
			}
		}
		return got
	}
	assert.Empty(t, statusFindings("--stack", "dev"), "dev's bootstrap is complete")
	assert.Equal(t, []string{"domain-controller-status /runas/ssm-runas/prod/domain-controller/status (eu-west-1)"}, statusFindings("--stack", "prod"))
	assert.Equal(t, []string{"domain-controller-status-missing /runas/ssm-runas/test/domain-controller/status (eu-west-1)"}, statusFindings("--stack", "test"))
	assert.Equal(t, []string{"domain-controller-status /runas/ssm-runas/prod/domain-controller/status (eu-west-1)"}, statusFindings(), "without --stack every stack's status is read")

	// A stack of another Pulumi project.
	_, err = params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(dcbootstrap.StatusParameterName("platform-ad", "prod")),
		Value: aws.String("complete"), Type: ssmtypes.ParameterTypeString})
	require.NoError(t, err)
	assert.Empty(t, statusFindings("--project", "platform-ad", "--stack", "prod"), "platform-ad's prod is complete")

	// A stack run from a delegated administrator account: its status is
	// there, read through the audit role.
	delegated := w.org.Accounts[0]
	_, err = w.factory.SSM(delegated, "eu-west-1").PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(dcbootstrap.StatusParameterName("ssm-runas", "delegated")),
		Value: aws.String("complete"), Type: ssmtypes.ParameterTypeString})
	require.NoError(t, err)
	assert.Equal(t, []string{"domain-controller-status-missing /runas/ssm-runas/delegated/domain-controller/status (eu-west-1)"},
		statusFindings("--stack", "delegated"), "not in the account of the credentials")
	assert.Empty(t, statusFindings("--stack", "delegated", "--stack-account", delegated), "complete in the account the stack ran in")
	assert.Equal(t, []string{"domain-controller-status-missing /runas/ssm-runas/dev/domain-controller/status (eu-west-1)"},
		statusFindings("--stack", "dev", "--stack-account", delegated), "dev ran in the management account, not there")

	for name, tc := range map[string]struct{ config, account, want string }{
		"not an account id":    {path, "12345", `--stack-account "12345": must be a 12-digit account id`},
		"no domain controller": {w.config, delegated, "--stack-account: only model domain-controller has a stack account to read"},
	} {
		code, out, errOut := runCLI(t, "audit", "--config", tc.config, "--endpoint-url", w.srv.URL, "--stack-account", tc.account)
		assert.Equal(t, exitUsage, code, "%s: %s", name, errOut)
		assert.Empty(t, out, name)
		assert.Equal(t, 0, strings.Count(strings.TrimSpace(errOut), "\n"), "%s: one line: %s", name, errOut)
		assert.Contains(t, errOut, tc.want, name)
	}
}
