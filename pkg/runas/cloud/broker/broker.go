package broker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
)

// SessionDurationSeconds is how long the session role's credentials last:
// the shortest STS allows. They are used for one StartSession call; the
// session itself lives on in the data channel, which does not use them.
//
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const SessionDurationSeconds = 900

// maxBodyBytes bounds the request body the broker reads.
const maxBodyBytes = 16 << 10

// AssumeRoleAPIClient is the STS call the broker makes with its own role.
type AssumeRoleAPIClient interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// StartSessionAPIClient is the SSM call the broker makes with the session
// role's credentials.
type StartSessionAPIClient interface {
	StartSession(ctx context.Context, in *ssm.StartSessionInput, optFns ...func(*ssm.Options)) (*ssm.StartSessionOutput, error)
}

// NewStartSessionClient builds the SSM client for region from the session
// role's credentials.
type NewStartSessionClient func(creds aws.Credentials, region string) StartSessionAPIClient

// Broker starts Session Manager sessions for Identity Center users, as the
// Linux user their permission set maps to, with their name as the session's
// SourceIdentity.
type Broker struct {
	rules  rules.Rules
	sts    AssumeRoleAPIClient
	newSSM NewStartSessionClient
	opts   Options
}

// Options are the broker's optional settings.
type Options struct {
	// Log receives one JSON line per decision. Default: io.Discard.
	Log io.Writer
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// New returns a broker deciding with r. It refuses invalid rules, so a
// misconfigured function fails at start, not at the first request.
func New(r rules.Rules, assume AssumeRoleAPIClient, newSSM NewStartSessionClient, opts Options) (*Broker, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if assume == nil || newSSM == nil {
		return nil, errors.New("creating the broker: the STS client and the SSM client factory are required")
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Broker{rules: r, sts: assume, newSSM: newSSM, opts: opts}, nil
}

// Session is what StartSession returned, passed on to the client unchanged,
// with what the broker decided. The first three keys are StartSession's own,
// which session-manager-plugin reads.
type Session struct {
	SessionID    string `json:"SessionId"`
	StreamURL    string `json:"StreamUrl"`
	TokenValue   string `json:"TokenValue"`
	LinuxUser    string `json:"linuxUser"`
	Target       string `json:"target"`
	Region       string `json:"region"`
	DocumentName string `json:"documentName"`
}

// Refusal is the body of every answer that is not a session.
type Refusal struct {
	Error string `json:"error"`
	// Reason is the rule that refused the request.
	Reason string `json:"reason"`
}

// LogLine is the one structured line the broker writes per decision.
type LogLine struct {
	Time          string `json:"time"`
	RequestID     string `json:"requestId,omitempty"`
	Decision      string `json:"decision"`
	Reason        string `json:"reason,omitempty"`
	Caller        string `json:"caller"`
	Person        string `json:"person,omitempty"`
	PermissionSet string `json:"permissionSet,omitempty"`
	Account       string `json:"account,omitempty"`
	Target        string `json:"target,omitempty"`
	Region        string `json:"region,omitempty"`
	DocumentName  string `json:"documentName,omitempty"`
	LinuxUser     string `json:"linuxUser,omitempty"`
	SessionID     string `json:"sessionId,omitempty"`
	SourceIP      string `json:"sourceIp,omitempty"`
}

// Decisions written in the log.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
	DecisionError = "error"
)

// Errors Start returns; errors.Is tells them apart.
var (
	// ErrRefused: the rules refuse the request.
	ErrRefused = errors.New("refused")
	// ErrUpstream: STS or SSM failed.
	ErrUpstream = errors.New("AWS call failed")
)

// Start decides c's request and, when allowed, assumes the session role in
// the caller's account with the Run As session tag, the person as
// SourceIdentity and a session policy that lets the credentials start this
// one session only, and starts the session with them.
func (b *Broker) Start(ctx context.Context, c rules.Caller, req rules.Request) (Session, rules.Decision, error) {
	d := b.rules.Decide(c, req)
	if !d.Allowed {
		return Session{}, d, fmt.Errorf("%w: %s", ErrRefused, d.Reason)
	}
	scope, err := brokerpolicy.SessionScopePolicy(brokerpolicy.SessionScopeArgs{
		Partition: b.rules.Partition, AccountID: d.Identity.AccountID, Region: d.Region, Target: d.Target, Document: d.DocumentName,
	})
	if err != nil {
		return Session{}, d, err
	}
	out, err := b.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(d.SessionRoleARN),
		Policy:          aws.String(string(scope.JSON())),
		RoleSessionName: aws.String(d.Identity.Person),
		SourceIdentity:  aws.String(d.Identity.Person),
		DurationSeconds: aws.Int32(SessionDurationSeconds),
		Tags:            []ststypes.Tag{{Key: aws.String(rules.RunAsTagKey), Value: aws.String(d.LinuxUser)}},
	})
	if err != nil {
		return Session{}, d, fmt.Errorf("%w: assuming %s for %s: %w", ErrUpstream, d.SessionRoleARN, d.Identity.Person, err)
	}
	if out.Credentials == nil {
		return Session{}, d, fmt.Errorf("%w: assuming %s returned no credentials", ErrUpstream, d.SessionRoleARN)
	}
	creds := aws.Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Source:          "ssm-runas-broker",
		CanExpire:       out.Credentials.Expiration != nil,
		Expires:         aws.ToTime(out.Credentials.Expiration),
	}
	in := &ssm.StartSessionInput{Target: aws.String(req.Target), DocumentName: aws.String(d.DocumentName)}
	if len(req.Parameters) > 0 {
		in.Parameters = req.Parameters
	}
	if req.Reason != "" {
		in.Reason = aws.String(req.Reason)
	}
	started, err := b.newSSM(creds, d.Region).StartSession(ctx, in)
	if err != nil {
		return Session{}, d, fmt.Errorf("%w: starting a session on %s in %s/%s: %w", ErrUpstream, req.Target, d.Identity.AccountID, d.Region, err)
	}
	return Session{
		SessionID:    aws.ToString(started.SessionId),
		StreamURL:    aws.ToString(started.StreamUrl),
		TokenValue:   aws.ToString(started.TokenValue),
		LinuxUser:    d.LinuxUser,
		Target:       d.Target,
		Region:       d.Region,
		DocumentName: d.DocumentName,
	}, d, nil
}

// Handle answers one function URL or API Gateway event: it takes the caller
// from the authenticated request context, the target from the body, and
// writes one log line.
func (b *Broker) Handle(ctx context.Context, ev Event) (Response, error) {
	caller, authErr := ev.Caller()
	line := LogLine{
		Time:      b.opts.Now().UTC().Format(time.RFC3339Nano),
		RequestID: ev.RequestContext.RequestID,
		Caller:    caller.ARN,
		SourceIP:  ev.SourceIP(),
	}
	if authErr != nil {
		line.Decision, line.Reason = DecisionDeny, authErr.Error()
		b.log(line)
		return jsonResponse(http.StatusForbidden, Refusal{Error: "refused", Reason: authErr.Error()}), nil
	}
	req, err := ev.SessionRequest()
	if err != nil {
		line.Decision, line.Reason = DecisionDeny, err.Error()
		b.log(line)
		return jsonResponse(http.StatusBadRequest, Refusal{Error: "bad request", Reason: err.Error()}), nil
	}
	s, d, err := b.Start(ctx, caller, req)
	line.Person, line.PermissionSet, line.Account = d.Identity.Person, d.Identity.PermissionSet, d.Identity.AccountID
	line.Target, line.Region, line.DocumentName, line.LinuxUser = d.Target, d.Region, d.DocumentName, d.LinuxUser
	switch {
	case errors.Is(err, ErrRefused):
		line.Decision, line.Reason = DecisionDeny, d.Reason
		b.log(line)
		return jsonResponse(http.StatusForbidden, Refusal{Error: "refused", Reason: d.Reason}), nil
	case err != nil:
		line.Decision, line.Reason = DecisionError, err.Error()
		b.log(line)
		return jsonResponse(http.StatusBadGateway, Refusal{Error: "could not start the session", Reason: err.Error()}), nil
	}
	line.Decision, line.SessionID = DecisionAllow, s.SessionID
	b.log(line)
	return jsonResponse(http.StatusOK, s), nil
}

var logMu sync.Mutex

func (b *Broker) log(l LogLine) {
	data, err := json.Marshal(l)
	if err != nil {
		return
	}
	logMu.Lock()
	defer logMu.Unlock()
	_, _ = b.opts.Log.Write(append(data, '\n'))
}

// Response is the function URL (and API Gateway proxy) response.
type Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

func jsonResponse(status int, v any) Response {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":"encoding the answer"}`)
	}
	return Response{StatusCode: status, Headers: map[string]string{"content-type": "application/json"}, Body: string(data)}
}

// decodeBody returns the raw request body.
func decodeBody(body string, base64Encoded bool) ([]byte, error) {
	if !base64Encoded {
		return []byte(body), nil
	}
	return base64.StdEncoding.DecodeString(body)
}
