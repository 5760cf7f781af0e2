package broker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

// Signing services of the two front doors the broker can sit behind.
const (
	FunctionURLService = "lambda"
	APIGatewayService  = "execute-api"
)

// ClientOptions say where the broker is and whose credentials sign the
// request.
type ClientOptions struct {
	// URL is required: the broker's function URL or API Gateway endpoint.
	URL string
	// Credentials are required: the caller's own Identity Center role
	// credentials. The broker learns who the caller is only from their
	// signature.
	Credentials aws.CredentialsProvider
	// SigningRegion is optional, default the region in the URL's host name
	// (<id>.lambda-url.<region>.on.aws, <id>.execute-api.<region>.amazonaws.com).
	SigningRegion string
	// SigningService is optional, default from the URL's host name: lambda
	// for function URLs, execute-api for API Gateway.
	SigningService string
	// HTTPClient is optional, default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is optional, default time.Now.
	Now func() time.Time
}

// RefusedError is the broker's refusal, with its reason.
type RefusedError struct {
	Status int
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the broker refused the session (HTTP %d): %s", e.Status, e.Reason)
}

// endpoint is the broker's URL and the region and service requests to it
// are signed for: the options' when set, else read from the host name.
func (o ClientOptions) endpoint() (u *url.URL, region, service string, err error) {
	u, err = url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, "", "", fmt.Errorf("broker URL %q: must be an absolute URL", o.URL)
	}
	hostRegion, hostService := signingFromHost(u.Hostname())
	region, service = o.SigningRegion, o.SigningService
	if region == "" {
		region = hostRegion
	}
	if service == "" {
		service = hostService
	}
	return u, region, service, nil
}

// RequestSession signs req with the caller's credentials (SigV4) and asks
// the broker for a session.
func RequestSession(ctx context.Context, o ClientOptions, req rules.Request) (Session, error) {
	u, region, service, err := o.endpoint()
	if err != nil {
		return Session{}, err
	}
	if region == "" {
		return Session{}, fmt.Errorf("broker URL %q: cannot tell its region from the host name; set the signing region", o.URL)
	}
	if o.Credentials == nil {
		return Session{}, errors.New("requesting a session: no credentials to sign the request with")
	}
	creds, err := o.Credentials.Retrieve(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("loading the credentials that sign the broker request: %w", err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Session{}, fmt.Errorf("encoding the session request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Session{}, fmt.Errorf("building the broker request: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, hr, hex.EncodeToString(sum[:]), service, region, now()); err != nil {
		return Session{}, fmt.Errorf("signing the broker request: %w", err)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return Session{}, fmt.Errorf("calling the broker at %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Session{}, fmt.Errorf("reading the broker's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var r Refusal
		reason := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &r) == nil && r.Reason != "" {
			reason = r.Reason
		} else if json.Unmarshal(data, &r) == nil && r.Error != "" {
			reason = r.Error
		}
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest {
			return Session{}, &RefusedError{Status: resp.StatusCode, Reason: reason}
		}
		return Session{}, fmt.Errorf("the broker answered HTTP %d: %s", resp.StatusCode, reason)
	}
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		return Session{}, fmt.Errorf("reading the broker's session: %w", err)
	}
	if s.SessionID == "" || s.StreamURL == "" || s.TokenValue == "" {
		return Session{}, errors.New("the broker's answer lacks SessionId, StreamUrl or TokenValue")
	}
	return s, nil
}

// ErrUnreachable is returned by Probe when the broker does not answer as
// the broker.
var ErrUnreachable = errors.New("the broker is not reachable")

// Probe checks that the broker answers signed requests: it sends a signed
// GET, which the broker refuses as a bad request after authentication
// ("the broker takes POST"), so a 400 with that reason proves the URL, the
// IAM authorization and the function; anything else is ErrUnreachable with
// what came back. It starts no session.
func Probe(ctx context.Context, o ClientOptions) error {
	u, region, service, err := o.endpoint()
	if err != nil {
		return err
	}
	if o.Credentials == nil || region == "" {
		return errors.New("probing the broker: credentials and a signing region are required")
	}
	creds, err := o.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("loading the credentials that sign the probe: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("building the probe: %w", err)
	}
	empty := sha256.Sum256(nil)
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, hr, hex.EncodeToString(empty[:]), service, region, now()); err != nil {
		return fmt.Errorf("signing the probe: %w", err)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var r Refusal
	if resp.StatusCode == http.StatusBadRequest && json.Unmarshal(data, &r) == nil && strings.Contains(r.Reason, "the broker takes POST") {
		return nil
	}
	return fmt.Errorf("%w: HTTP %d: %s", ErrUnreachable, resp.StatusCode, strings.TrimSpace(string(data)))
}

// signingFromHost reads the region and service from a function URL or API
// Gateway host name.
func signingFromHost(host string) (region, service string) {
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if i+1 >= len(labels) {
			break
		}
		switch l {
		case "lambda-url":
			return labels[i+1], FunctionURLService
		case "execute-api":
			return labels[i+1], APIGatewayService
		}
	}
	return "", FunctionURLService
}
