package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is Microsoft Graph v1.0 in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Scope is the token scope for Graph.
const Scope = "https://graph.microsoft.com/.default"

// TokenSource returns a bearer token for Graph.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a fixed bearer token.
type StaticToken string

// Token returns the token.
func (s StaticToken) Token(context.Context) (string, error) { return string(s), nil }

// Client calls Microsoft Graph.
type Client struct {
	base   *url.URL
	tokens TokenSource
	opts   Options
}

// Retry limits. Graph's throttling guidance is to wait what Retry-After
// says; a client that waits whatever it is told can hang for a day (values
// of 100000 s are seen), so waits beyond MaxWait fail the call at once,
// naming the wait, and all waits of one call share RetryBudget.
// https://learn.microsoft.com/en-us/graph/throttling
const (
	DefaultMaxAttempts = 6
	DefaultMaxWait     = 60 * time.Second
	DefaultRetryBudget = 3 * time.Minute
	DefaultBaseDelay   = time.Second
	// maxBackoff caps the exponential backoff used without Retry-After.
	maxBackoff = 30 * time.Second
)

// Options tune a Client; zero values take the defaults.
type Options struct {
	// HTTP is optional, default a client with a 60s timeout per request.
	HTTP *http.Client
	// MaxAttempts per request is optional, default DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay is optional, default DefaultBaseDelay: the first backoff
	// when Graph sends no Retry-After; it doubles per attempt up to 30s.
	BaseDelay time.Duration
	// MaxWait is optional, default DefaultMaxWait: the longest single wait.
	// When Graph asks for more, the call fails at once with the wait named.
	MaxWait time.Duration
	// RetryBudget is optional, default DefaultRetryBudget: the total time
	// one call may spend waiting between attempts.
	RetryBudget time.Duration
	// OnWait is optional: called before each wait, so a command can say on
	// stderr what it is waiting for. Nil says nothing.
	OnWait func(Wait)
	// Sleep is optional, default a timer that stops with the context;
	// tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Wait describes one pause before a retry.
type Wait struct {
	// Method and Path name the call.
	Method, Path string
	// Attempt is the attempt that failed (1-based), of MaxAttempts.
	Attempt, MaxAttempts int
	// Delay is how long the client waits.
	Delay time.Duration
	// Reason is why: the HTTP status and Graph error code, or the
	// transport error.
	Reason string
}

// String is the one-line message a command prints for w.
func (w Wait) String() string {
	return fmt.Sprintf("graph %s %s: %s; retrying in %s (attempt %d of %d)", w.Method, w.Path, w.Reason, w.Delay, w.Attempt+1, w.MaxAttempts)
}

// New returns a client for baseURL (DefaultBaseURL when empty).
func New(baseURL string, tokens TokenSource, opts Options) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("graph URL %q: must be an absolute URL", baseURL)
	}
	if tokens == nil {
		return nil, errors.New("graph: a token source is required")
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.RetryBudget <= 0 {
		opts.RetryBudget = DefaultRetryBudget
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	return &Client{base: u, tokens: tokens, opts: opts}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Error is a Graph error response.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("graph %s %s: HTTP %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// IsStatus reports whether err is a Graph error with that HTTP status.
func IsStatus(err error, status int) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Status == status
}

// request is one call; path is relative to the base URL or, for paging, an
// absolute URL on the same host.
type request struct {
	method  string
	path    string
	body    any
	headers map[string]string
}

func (c *Client) resolve(path string) (*url.URL, error) {
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, err
		}
		// Never send the token to another host, whatever a nextLink says.
		if u.Host != c.base.Host {
			return nil, fmt.Errorf("graph: refusing to follow a link to %s", u.Host)
		}
		return u, nil
	}
	return url.Parse(c.base.String() + path)
}

// do sends req and decodes the JSON answer into out (when not nil),
// retrying throttling and transient failures within the retry limits.
func (c *Client) do(ctx context.Context, req request, out any) error {
	u, err := c.resolve(req.path)
	if err != nil {
		return err
	}
	var body []byte
	if req.body != nil {
		if raw, ok := req.body.(json.RawMessage); ok {
			body = raw
		} else if body, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("graph %s %s: encoding the body: %w", req.method, req.path, err)
		}
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		wait, reason, err := c.attempt(ctx, req, u, body, out, attempt)
		if wait == 0 && reason == "" {
			return err // done, or failed in a way retrying won't fix
		}
		if attempt == c.opts.MaxAttempts {
			return fmt.Errorf("after %d attempts: %w", attempt, err)
		}
		if wait > c.opts.MaxWait {
			return fmt.Errorf("%w; Graph asks to wait %s before retrying, more than the %s this client waits: try again later", err, wait, c.opts.MaxWait)
		}
		if waited+wait > c.opts.RetryBudget {
			return fmt.Errorf("%w; giving up after %d attempts: waiting %s more would pass the retry budget of %s", err, attempt, wait, c.opts.RetryBudget)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fmt.Errorf("%w; giving up after %d attempts: waiting %s would pass the deadline", err, attempt, wait)
		}
		if c.opts.OnWait != nil {
			c.opts.OnWait(Wait{Method: req.method, Path: u.Path, Attempt: attempt, MaxAttempts: c.opts.MaxAttempts, Delay: wait, Reason: reason})
		}
		if serr := c.opts.Sleep(ctx, wait); serr != nil {
			return errors.Join(err, serr)
		}
		waited += wait
	}
}

// attempt sends req once. A retryable failure returns the wait before the
// next attempt and a reason (wait may be 0 when Graph says so); otherwise
// reason is "" and err is the result.
func (c *Client) attempt(ctx context.Context, req request, u *url.URL, body []byte, out any, attempt int) (wait time.Duration, reason string, err error) {
	token, err := c.tokens.Token(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("graph: getting a token: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.headers {
		hr.Header.Set(k, v)
	}
	resp, err := c.opts.HTTP.Do(hr)
	if err != nil {
		err = fmt.Errorf("graph %s %s: %w", req.method, u.Path, err)
		if ctx.Err() != nil {
			return 0, "", err
		}
		return c.backoff(attempt), "no answer: " + errors.Unwrap(err).Error(), err
	}
	data, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return c.backoff(attempt), "reading the answer failed", fmt.Errorf("graph %s %s: reading the answer: %w", req.method, u.Path, rerr)
	}
	if resp.StatusCode/100 == 2 {
		if out == nil || len(data) == 0 {
			return 0, "", nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return 0, "", fmt.Errorf("graph %s %s: decoding the answer: %w", req.method, u.Path, err)
		}
		return 0, "", nil
	}
	ge := &Error{Method: req.method, Path: u.Path, Status: resp.StatusCode}
	var env struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(data, &env) == nil {
		ge.Code, ge.Message = env.Error.Code, env.Error.Message
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryAfter(resp.Header.Get("Retry-After"), c.backoff(attempt)),
			strings.TrimSpace(fmt.Sprintf("HTTP %d %s", resp.StatusCode, ge.Code)), ge
	}
	return 0, "", ge
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.BaseDelay << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d
}

// retryAfter reads a Retry-After header: seconds (what Graph sends) or an
// HTTP date.
func retryAfter(h string, fallback time.Duration) time.Duration {
	h = strings.TrimSpace(h)
	if s, err := strconv.ParseInt(h, 10, 64); err == nil && s >= 0 {
		if s > int64(math.MaxInt64/time.Second) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return fallback
}

// page is a Graph collection page.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// list follows @odata.nextLink until the collection ends.
func list[T any](ctx context.Context, c *Client, req request) ([]T, error) {
	var all []T
	for req.path != "" {
		var p page[T]
		if err := c.do(ctx, req, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		req.path = p.NextLink
	}
	return all, nil
}

// odataQuote quotes a string literal for $filter.
func odataQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
