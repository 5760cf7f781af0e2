// Package brokertest runs the session broker locally for tests: behind an
// httptest server that checks SigV4 signatures and hands the broker the
// function URL event AWS would build (payload format 2.0 with the signer's
// identity in requestContext.authorizer.iam), and with a stand-in for
// ssm:StartSession, which moto_server does not implement.
package brokertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
)

// Principal is a signer the function URL knows: its credentials and the
// identity AWS would put in the event for them.
type Principal struct {
	Credentials    aws.Credentials
	ARN            string
	AccountID      string
	UserID         string
	PrincipalOrgID *string
}

// FunctionURL is a local function URL in front of a broker.
type FunctionURL struct {
	*httptest.Server
	Region string
	mu     sync.Mutex
	events []broker.Event
}

var authRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`)

// NewFunctionURL serves b on a loopback port for the test. Requests must be
// signed (SigV4, service lambda, region) by one of principals; others get
// 403 as from a function URL with AWS_IAM authorization.
func NewFunctionURL(t testing.TB, b *broker.Broker, region string, principals ...Principal) *FunctionURL {
	t.Helper()
	f := &FunctionURL{Region: region}
	byKey := map[string]Principal{}
	for _, p := range principals {
		byKey[p.Credentials.AccessKeyID] = p
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p, why := verify(r, body, region, byKey)
		if why != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"Message": why})
			return
		}
		ev := broker.Event{
			Version: "2.0",
			RequestContext: broker.RequestContext{
				AccountID: "anonymous",
				RequestID: fmt.Sprintf("req-%d", time.Now().UnixNano()),
				Authorizer: &broker.Authorizer{IAM: &broker.IAMIdentity{
					AccessKey: p.Credentials.AccessKeyID, AccountID: p.AccountID, CallerID: p.UserID,
					PrincipalOrgID: p.PrincipalOrgID, UserARN: p.ARN, UserID: p.UserID,
				}},
				HTTP: &broker.HTTPDescription{Method: r.Method, Path: r.URL.Path, SourceIP: "127.0.0.1"},
			},
			Body: string(body),
		}
		f.mu.Lock()
		f.events = append(f.events, ev)
		f.mu.Unlock()
		resp, err := b.Handle(r.Context(), ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	}))
	t.Cleanup(f.Server.Close)
	return f
}

// Events are the events the broker received, oldest first.
func (f *FunctionURL) Events() []broker.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// verify checks the request's SigV4 signature by signing the same request
// again with the principal's secret, and returns the principal.
func verify(r *http.Request, body []byte, region string, byKey map[string]Principal) (Principal, string) {
	m := authRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return Principal{}, "Forbidden: missing or malformed SigV4 Authorization header"
	}
	key, scopeRegion, service, signed, sig := m[1], m[3], m[4], m[5], m[6]
	p, ok := byKey[key]
	if !ok {
		return Principal{}, "The security token included in the request is invalid."
	}
	if service != broker.FunctionURLService || scopeRegion != region {
		return Principal{}, fmt.Sprintf("Credential should be scoped to a valid region and service lambda, not %s/%s", scopeRegion, service)
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return Principal{}, "missing X-Amz-Date"
	}
	if d := time.Since(when); d > 5*time.Minute || d < -5*time.Minute {
		return Principal{}, "Signature expired"
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return Principal{}, err.Error()
	}
	for _, h := range strings.Split(signed, ";") {
		if h == "host" {
			continue
		}
		again.Header.Set(h, r.Header.Get(h))
	}
	again.Header.Del("Authorization")
	again.Header.Del("X-Amz-Date")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), p.Credentials, again, hex.EncodeToString(sum[:]), service, region, when); err != nil {
		return Principal{}, err.Error()
	}
	want := authRe.FindStringSubmatch(again.Header.Get("Authorization"))
	if want == nil || want[6] != sig {
		return Principal{}, "The request signature we calculated does not match the signature you provided."
	}
	return p, ""
}

// StartSessionCall is one StartSession the stand-in answered.
type StartSessionCall struct {
	AccessKeyID string
	Region      string
	Input       ssm.StartSessionInput
	SessionID   string
}

// SessionManager stands in for ssm:StartSession (moto_server does not
// implement it). It answers with the shapes SSM returns: a session id
// "<role session name>-<17 hex>", a wss:// stream URL of the region's
// ssmmessages endpoint, and a token; and TargetNotConnected for targets it
// was not told about.
type SessionManager struct {
	mu sync.Mutex
	// Targets are the connected managed nodes per region.
	Targets map[string][]string
	// SessionName returns the role session name behind an access key.
	SessionName func(accessKeyID string) string
	calls       []StartSessionCall
}

// Client is a broker.NewStartSessionClient.
func (s *SessionManager) Client(creds aws.Credentials, region string) broker.StartSessionAPIClient {
	return &sessionClient{s: s, key: creds.AccessKeyID, region: region}
}

// Calls are the StartSession calls answered, oldest first.
func (s *SessionManager) Calls() []StartSessionCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

type sessionClient struct {
	s      *SessionManager
	key    string
	region string
}

func (c *sessionClient) StartSession(_ context.Context, in *ssm.StartSessionInput, _ ...func(*ssm.Options)) (*ssm.StartSessionOutput, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	target := aws.ToString(in.Target)
	if !slices.Contains(s.Targets[c.region], target) {
		return nil, &ssmtypes.TargetNotConnected{Message: aws.String(target + " is not connected.")}
	}
	name := "session"
	if s.SessionName != nil {
		name = s.SessionName(c.key)
	}
	id := name + "-" + randomHex(17)
	s.calls = append(s.calls, StartSessionCall{AccessKeyID: c.key, Region: c.region, Input: *in, SessionID: id})
	return &ssm.StartSessionOutput{
		SessionId:  aws.String(id),
		StreamUrl:  aws.String(fmt.Sprintf("wss://ssmmessages.%s.amazonaws.com/v1/data-channel/%s?role=publish_subscribe&cell-number=%s", c.region, id, randomBase64(48))),
		TokenValue: aws.String(randomBase64(240)),
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}
