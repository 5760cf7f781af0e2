package broker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/brokertest"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

const (
	org       = "o-a1b2c3d4e5"
	member    = "222222222222"
	region    = "eu-west-1"
	instance  = "i-0123456789abcdef0"
	roleName  = "ssm-runas-session"
	brokerAcc = "111111111111"
)

func testRules() rules.Rules {
	return rules.Rules{
		OrganizationID:  org,
		Accounts:        []string{member},
		PermissionSets:  map[string]string{"Admin": "admin", "Data_Eng_Developer": "developer"},
		SessionRoleName: roleName,
		Regions:         []string{region},
	}
}

// recordingSTS forwards AssumeRole to moto_server and keeps each input, so
// the test sees the tag and SourceIdentity the broker sent; moto accepts
// both but does not echo them back.
type recordingSTS struct {
	next *sts.Client
	mu   sync.Mutex
	in   []sts.AssumeRoleInput
	// sessions maps the access keys moto issued to the role session names.
	sessions map[string]string
}

func (r *recordingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	out, err := r.next.AssumeRole(ctx, in, optFns...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.in = append(r.in, *in)
	if err == nil {
		r.sessions[aws.ToString(out.Credentials.AccessKeyId)] = aws.ToString(in.RoleSessionName)
	}
	return out, err
}

func (r *recordingSTS) sessionName(key string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[key]
}

type fixture struct {
	moto   *motoserver.Server
	sts    *recordingSTS
	ssm    *brokertest.SessionManager
	broker *broker.Broker
	log    *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	m := motoserver.Start(t)
	cfg := m.Config(region)
	f := &fixture{moto: m, log: &bytes.Buffer{}}
	f.sts = &recordingSTS{next: sts.NewFromConfig(cfg), sessions: map[string]string{}}
	// ssm:StartSession is not implemented by moto_server: the stand-in
	// answers it with SSM's shapes (and TargetNotConnected for unknown
	// targets).
	f.ssm = &brokertest.SessionManager{Targets: map[string][]string{region: {instance}}, SessionName: f.sts.sessionName}
	b, err := broker.New(testRules(), f.sts, f.ssm.Client, broker.Options{Log: f.log})
	require.NoError(t, err)
	f.broker = b
	return f
}

func (f *fixture) logLines(t *testing.T) []broker.LogLine {
	t.Helper()
	var out []broker.LogLine
	for _, l := range strings.Split(strings.TrimSpace(f.log.String()), "\n") {
		if l == "" {
			continue
		}
		var line broker.LogLine
		require.NoError(t, json.Unmarshal([]byte(l), &line), l)
		out = append(out, line)
	}
	return out
}

func readEvent(t testing.TB, name string) broker.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var ev broker.Event
	require.NoError(t, json.Unmarshal(data, &ev))
	return ev
}

func TestHandleFunctionURLEventStartsTheSessionAsThePermissionSetsUser(t *testing.T) {
	f := newFixture(t)
	ctx := motoserver.Context(t)
	resp, err := f.broker.Handle(ctx, readEvent(t, "function-url-request.json"))
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, resp.Body)

	var s broker.Session
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &s))
	assert.Equal(t, "admin", s.LinuxUser)
	assert.True(t, strings.HasPrefix(s.SessionID, "alice@example.com-"), s.SessionID)
	assert.True(t, strings.HasPrefix(s.StreamURL, "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/"+s.SessionID), s.StreamURL)
	assert.NotEmpty(t, s.TokenValue)

	require.Len(t, f.sts.in, 1)
	in := f.sts.in[0]
	assert.Equal(t, "arn:aws:iam::"+member+":role/"+roleName+"-"+region, aws.ToString(in.RoleArn))
	assert.Equal(t, "alice@example.com", aws.ToString(in.SourceIdentity))
	assert.Equal(t, "alice@example.com", aws.ToString(in.RoleSessionName))
	require.Len(t, in.Tags, 1)
	assert.Equal(t, "SSMSessionRunAs", aws.ToString(in.Tags[0].Key))
	assert.Equal(t, "admin", aws.ToString(in.Tags[0].Value))
	assert.Equal(t, int32(broker.SessionDurationSeconds), aws.ToInt32(in.DurationSeconds))
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"StartThisSessionOnly","Effect":"Allow","Action":"ssm:StartSession",
		"Resource":["arn:aws:ec2:eu-west-1:222222222222:instance/i-0123456789abcdef0","arn:aws:ssm:eu-west-1:*:document/SSM-SessionManagerRunShell"]}]}`, aws.ToString(in.Policy))

	calls := f.ssm.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, instance, aws.ToString(calls[0].Input.Target))
	assert.Equal(t, rules.DefaultDocument, aws.ToString(calls[0].Input.DocumentName))
	assert.Equal(t, region, calls[0].Region)
	// StartSession ran with the session role's credentials, which moto
	// issued for the session role in the caller's own account.
	who := callerIdentity(t, f.moto, calls[0].AccessKeyID)
	assert.Equal(t, "arn:aws:sts::"+member+":assumed-role/"+roleName+"-"+region+"/alice@example.com", who)

	lines := f.logLines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, broker.LogLine{
		Time: lines[0].Time, RequestID: "8f9c1b2a-1111-4c2d-9e3f-0a1b2c3d4e5f", Decision: "allow",
		Caller: "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com",
		Person: "alice@example.com", PermissionSet: "Admin", Account: member, Target: instance, Region: region,
		DocumentName: rules.DefaultDocument, LinuxUser: "admin", SessionID: s.SessionID, SourceIP: "203.0.113.10",
	}, lines[0])
}

// callerIdentity asks moto who the credentials behind key are. moto keys
// the secret by access key and accepts any secret, so the key is enough.
func callerIdentity(t *testing.T, m *motoserver.Server, key string) string {
	t.Helper()
	cfg := m.Config(region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, "any", "")
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(motoserver.Context(t), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	return aws.ToString(out.Arn)
}

func TestHandleRESTAPIEventWithAnUnderscoredPermissionSet(t *testing.T) {
	f := newFixture(t)
	resp, err := f.broker.Handle(motoserver.Context(t), readEvent(t, "rest-api-request.json"))
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, resp.Body)
	var s broker.Session
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &s))
	assert.Equal(t, "developer", s.LinuxUser)
	require.Len(t, f.sts.in, 1)
	assert.Equal(t, "bob@example.com", aws.ToString(f.sts.in[0].SourceIdentity))
	assert.Equal(t, "developer", aws.ToString(f.sts.in[0].Tags[0].Value))
	lines := f.logLines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, "Data_Eng_Developer", lines[0].PermissionSet)
	assert.Equal(t, "203.0.113.11", lines[0].SourceIP)
}

func TestHandleRefuses(t *testing.T) {
	f := newFixture(t)
	base := readEvent(t, "function-url-request.json")
	edit := func(fn func(*broker.Event)) broker.Event {
		data, err := json.Marshal(base)
		require.NoError(t, err)
		var ev broker.Event
		require.NoError(t, json.Unmarshal(data, &ev))
		fn(&ev)
		return ev
	}
	body := func(s string) func(*broker.Event) { return func(e *broker.Event) { e.Body = s } }
	caller := func(arn string) func(*broker.Event) {
		return func(e *broker.Event) { e.RequestContext.Authorizer.IAM.UserARN = arn }
	}
	tests := []struct {
		name   string
		ev     broker.Event
		status int
		reason string
	}{
		{"unsigned", edit(func(e *broker.Event) { e.RequestContext.Authorizer = nil }), 403, "carries no IAM identity"},
		{"other organization", edit(func(e *broker.Event) { o := "o-zzzzzzzzzz"; e.RequestContext.Authorizer.IAM.PrincipalOrgID = &o }), 403, "in organization o-zzzzzzzzzz"},
		{"no organization id from an unlisted account", edit(func(e *broker.Event) {
			e.RequestContext.Authorizer.IAM.PrincipalOrgID = nil
			e.RequestContext.Authorizer.IAM.AccountID = "999999999999"
			e.RequestContext.Authorizer.IAM.UserARN = "arn:aws:sts::999999999999:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/mallory"
		}), 403, "not one of the organization's accounts"},
		{"permission set not configured", edit(caller("arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/alice@example.com")), 403, `"ReadOnly" is not configured`},
		{"IAM user", edit(caller("arn:aws:iam::222222222222:user/alice")), 403, "not an STS role session"},
		{"target in another account", edit(body(`{"target":"i-0123456789abcdef0","region":"eu-west-1","accountId":"333333333333"}`)), 403, "is not the caller's account"},
		{"uncovered region", edit(body(`{"target":"i-0123456789abcdef0","region":"us-east-1"}`)), 403, "no preferences document"},
		{"forged caller in the body", edit(body(`{"target":"i-0123456789abcdef0","region":"eu-west-1","userArn":"arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/root"}`)), 400, `unknown field "userArn"`},
		{"forged permission set in the body", edit(body(`{"target":"i-0123456789abcdef0","region":"eu-west-1","permissionSet":"Admin","linuxUser":"root"}`)), 400, `unknown field "permissionSet"`},
		{"not JSON", edit(body(`target=i-0123456789abcdef0`)), 400, "reading the body"},
		{"GET", edit(func(e *broker.Event) { e.RequestContext.HTTP.Method = "GET" }), 400, "takes POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.log.Reset()
			resp, err := f.broker.Handle(motoserver.Context(t), tc.ev)
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.StatusCode)
			var r broker.Refusal
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &r))
			assert.Contains(t, r.Reason, tc.reason)
			lines := f.logLines(t)
			require.Len(t, lines, 1, "one log line per decision")
			assert.Equal(t, broker.DecisionDeny, lines[0].Decision)
			assert.Contains(t, lines[0].Reason, tc.reason)
			assert.Empty(t, lines[0].LinuxUser)
		})
	}
	assert.Empty(t, f.sts.in, "no refused request reaches STS")
	assert.Empty(t, f.ssm.Calls(), "no refused request reaches SSM")
}

func TestHandleTargetNotConnected(t *testing.T) {
	f := newFixture(t)
	ev := readEvent(t, "function-url-request.json")
	ev.Body = `{"target":"i-0fedcba9876543210","region":"eu-west-1"}`
	resp, err := f.broker.Handle(motoserver.Context(t), ev)
	require.NoError(t, err)
	assert.Equal(t, 502, resp.StatusCode)
	assert.Contains(t, resp.Body, "is not connected")
	lines := f.logLines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, broker.DecisionError, lines[0].Decision)
	assert.Equal(t, "admin", lines[0].LinuxUser)
}

func TestNewRefusesInvalidRules(t *testing.T) {
	r := testRules()
	r.PermissionSets["Admin"] = "root"
	_, err := broker.New(r, &recordingSTS{}, (&brokertest.SessionManager{}).Client, broker.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `permissionSets["Admin"] "root"`)
}

func TestHandleLogsAtTheGivenClock(t *testing.T) {
	var log bytes.Buffer
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	b, err := broker.New(testRules(), &recordingSTS{}, (&brokertest.SessionManager{}).Client, broker.Options{Log: &log, Now: func() time.Time { return at }})
	require.NoError(t, err)
	_, err = b.Handle(context.Background(), broker.Event{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"time":"2026-11-21T14:00:00Z","decision":"deny","caller":"","reason":"the request carries no IAM identity: the broker must sit behind AWS_IAM authorization"}`, log.String())
}

func TestHandleBase64Body(t *testing.T) {
	f := newFixture(t)
	ev := readEvent(t, "function-url-request.json")
	ev.Body, ev.IsBase64Encoded = "eyJ0YXJnZXQiOiJpLTAxMjM0NTY3ODlhYmNkZWYwIiwicmVnaW9uIjoiZXUtd2VzdC0xIn0=", true
	resp, err := f.broker.Handle(motoserver.Context(t), ev)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, resp.Body)
	ev.Body = "not base64!"
	resp, err = f.broker.Handle(motoserver.Context(t), ev)
	require.NoError(t, err)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, resp.Body, "decoding the base64 body")
}
