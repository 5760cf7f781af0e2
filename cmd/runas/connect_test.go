package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/fakeplugin"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/brokertest"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

const (
	connectOrg      = "o-a1b2c3d4e5"
	connectAccount  = "222222222222"
	connectRegion   = "eu-west-1"
	connectInstance = "i-0123456789abcdef0"
	aliceKey        = "ASIAALICEEXAMPLE0001"
	aliceSecret     = "alice-secret-access-key-example-000000000"
	aliceToken      = "IQoJb3JpZ2luX2VjEAliceSessionToken"
)

// connectWorld is a local broker behind a SigV4-checking function URL,
// with STS on moto_server and the StartSession stand-in, a stand-in
// session-manager-plugin first on PATH, and an AWS profile "dev" holding
// alice's Identity Center credentials.
type connectWorld struct {
	url    *brokertest.FunctionURL
	ssm    *brokertest.SessionManager
	plugin *fakeplugin.Plugin
}

func newConnectWorld(t *testing.T, pluginVersion string, permissionSets map[string]string) *connectWorld {
	t.Helper()
	m := motoserver.Start(t)
	ssmStub := &brokertest.SessionManager{Targets: map[string][]string{connectRegion: {connectInstance}}, SessionName: func(string) string { return "alice@example.com" }}
	b, err := broker.New(rules.Rules{
		OrganizationID:  connectOrg,
		PermissionSets:  permissionSets,
		SessionRoleName: "ssm-runas-session",
		Documents:       []string{"SSM-SessionManagerRunShell", "AWS-StartPortForwardingSession"},
		Regions:         []string{connectRegion},
	}, sts.NewFromConfig(m.Config(connectRegion)), ssmStub.Client, broker.Options{})
	require.NoError(t, err)
	org := connectOrg
	url := brokertest.NewFunctionURL(t, b, connectRegion, brokertest.Principal{
		Credentials: aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret, SessionToken: aliceToken},
		ARN:         "arn:aws:sts::" + connectAccount + ":assumed-role/AWSReservedSSO_Data_Eng_Admin_0123456789abcdef/alice@example.com",
		AccountID:   connectAccount, UserID: "AROAEXAMPLEROLEID0001:alice@example.com", PrincipalOrgID: &org,
	})
	plugin := fakeplugin.Build(t)

	dir := t.TempDir()
	conf := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(
		"[profile dev]\nregion = %s\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n",
		connectRegion, aliceKey, aliceSecret, aliceToken)), 0o600))
	env := map[string]string{
		"PATH":                        plugin.Dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"AWS_CONFIG_FILE":             conf,
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":           "",
		"AWS_SECRET_ACCESS_KEY":       "",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"FAKEPLUGIN_VERSION":          pluginVersion,
		"FAKEPLUGIN_RECORD":           plugin.Record,
	}
	w := &connectWorld{url: url, ssm: ssmStub, plugin: plugin}
	for k, v := range env {
		t.Setenv(k, v)
		if v == "" {
			// Unset, not empty: the AWS CLI reads an empty AWS_REGION
			// as the region "".
			require.NoError(t, os.Unsetenv(k))
			continue
		}
	}
	return w
}

func runConnect(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newConnectCommand()
	var stdout, stderr bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(motoserver.Context(t))
	return stdout.String() + stderr.String(), err
}

// ssmEndpoint answers StartSession (JSON 1.1, as the AWS CLI sends it) with
// the session the broker handed out, so the AWS CLI and connect give the
// plugin the same session.
func ssmEndpoint(t *testing.T, s *broker.Session) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.StartSession" {
			http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]string{"SessionId": s.SessionID, "TokenValue": s.TokenValue, "StreamUrl": s.StreamURL})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sessionOf reads the StartSession response back from a plugin run.
func sessionOf(t *testing.T, run fakeplugin.Run) broker.Session {
	t.Helper()
	require.NotEmpty(t, run.Args)
	raw := run.Args[0]
	if raw == broker.PluginResponseEnv {
		require.NotNil(t, run.ResponseEnv)
		raw = *run.ResponseEnv
	}
	var s broker.Session
	require.NoError(t, json.Unmarshal([]byte(raw), &s))
	return s
}

// TestConnectPassesThePluginWhatTheAWSCLIPasses runs connect against the
// local broker, then the real AWS CLI's `aws ssm start-session` against an
// SSM endpoint answering the same session, each with the stand-in plugin,
// and requires the two plugin runs to be identical: arguments and the
// response variable, byte for byte.
func TestConnectPassesThePluginWhatTheAWSCLIPasses(t *testing.T) {
	awsCLI := testtools.Require(t, "aws", "pip install awscli")
	tests := []struct {
		name, pluginVersion string
		extra, cliExtra     []string
	}{
		{name: "current plugin, response in the environment", pluginVersion: "1.2.707.0"},
		{name: "old plugin, response as an argument", pluginVersion: "1.2.497.0"},
		{name: "document and parameters", pluginVersion: "1.2.707.0",
			extra:    []string{"--document", "AWS-StartPortForwardingSession", "--parameters", `{"portNumber":["5432"]}`},
			cliExtra: []string{"--document-name", "AWS-StartPortForwardingSession", "--parameters", `{"portNumber":["5432"]}`}},
		{name: "reason", pluginVersion: "1.2.707.0",
			extra:    []string{"--reason", "incident 42: ß"},
			cliExtra: []string{"--reason", "incident 42: ß"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newConnectWorld(t, tc.pluginVersion, map[string]string{"Data_Eng_Admin": "admin"})
			var session broker.Session
			srv := ssmEndpoint(t, &session)

			out, err := runConnect(t, append([]string{"--target", connectInstance, "--profile", "dev",
				"--broker-url", w.url.URL, "--broker-region", connectRegion, "--endpoint-url", srv.URL}, tc.extra...)...)
			require.NoError(t, err, out)
			assert.Contains(t, out, "opened as admin")
			runs := w.plugin.Runs(t)
			require.Len(t, runs, 1)
			session = sessionOf(t, runs[0])
			assert.NotEmpty(t, session.TokenValue)

			cli := exec.Command(awsCLI, append([]string{"ssm", "start-session", "--target", connectInstance,
				"--profile", "dev", "--endpoint-url", srv.URL}, tc.cliExtra...)...)
			cli.Env = os.Environ()
			cliOut, err := cli.CombinedOutput()
			require.NoError(t, err, string(cliOut))
			runs = w.plugin.Runs(t)
			require.Len(t, runs, 2)
			assert.Equal(t, runs[1], runs[0], "connect must start the plugin exactly as the AWS CLI does")
		})
	}
}

func TestConnectWithoutThePluginStartsNoSession(t *testing.T) {
	w := newConnectWorld(t, "1.2.707.0", map[string]string{"Data_Eng_Admin": "admin"})
	out, err := runConnect(t, "--target", connectInstance, "--profile", "dev", "--broker-url", w.url.URL,
		"--broker-region", connectRegion, "--plugin", filepath.Join(t.TempDir(), "session-manager-plugin"))
	require.Error(t, err, out)
	assert.Contains(t, err.Error(), "session-manager-plugin is not installed")
	assert.Empty(t, w.url.Events(), "the broker must not be asked when the plugin is missing")
}

func TestConnectReportsTheBrokersRefusal(t *testing.T) {
	w := newConnectWorld(t, "1.2.707.0", map[string]string{"Developer": "developer"})
	_, err := runConnect(t, "--target", connectInstance, "--profile", "dev", "--broker-url", w.url.URL, "--broker-region", connectRegion)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `the broker refused the session (HTTP 403): permission set "Data_Eng_Admin" is not configured for the broker`)
	assert.Empty(t, w.plugin.Runs(t))
}

func TestConnectRefusedForABadSignature(t *testing.T) {
	w := newConnectWorld(t, "1.2.707.0", map[string]string{"Data_Eng_Admin": "admin"})
	t.Setenv("AWS_ACCESS_KEY_ID", aliceKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-alices-secret")
	t.Setenv("AWS_SESSION_TOKEN", aliceToken)
	_, err := runConnect(t, "--target", connectInstance, "--region", connectRegion, "--broker-url", w.url.URL, "--broker-region", connectRegion)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "signature we calculated does not match")
	assert.Empty(t, w.url.Events())
}

func TestConnectSaysWhatToDoWhenThePluginFails(t *testing.T) {
	w := newConnectWorld(t, "1.2.707.0", map[string]string{"Data_Eng_Admin": "admin"})
	t.Setenv("FAKEPLUGIN_EXIT", "1")
	_, err := runConnect(t, "--target", connectInstance, "--profile", "dev", "--broker-url", w.url.URL, "--broker-region", connectRegion)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited with status 1")
	assert.Contains(t, err.Error(), "expired or invalid token, run connect again")
	assert.Len(t, w.ssm.Calls(), 1)
}

func TestConnectNeedsTargetAndBroker(t *testing.T) {
	t.Setenv(broker.URLEnv, "")
	_, err := runConnect(t, "--broker-url", "https://x.lambda-url.eu-west-1.on.aws/")
	require.EqualError(t, err, "--target is required")
	_, err = runConnect(t, "--target", connectInstance)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--broker-url (or $SSM_RUNAS_BROKER_URL) is required")
	_, err = runConnect(t, "--target", connectInstance, "--broker-url", "https://x.lambda-url.eu-west-1.on.aws/", "--parameters", "{")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--parameters must be JSON")
}
