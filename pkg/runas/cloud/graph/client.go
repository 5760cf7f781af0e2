package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Options tune a Client; zero values take the defaults.
type Options struct {
	// HTTP is the client, default one with a 60s timeout.
	HTTP *http.Client
	// MaxAttempts per request, default 6.
	MaxAttempts int
	// BaseDelay is the first backoff without Retry-After, default 1s.
	BaseDelay time.Duration
	// Sleep waits between attempts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
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
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 6
	}
	if opts.BaseDelay == 0 {
		opts.BaseDelay = time.Second
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
// retrying throttling and transient failures.
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
	var lastErr error
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		token, err := c.tokens.Token(ctx)
		if err != nil {
			return fmt.Errorf("graph: getting a token: %w", err)
		}
		hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), bytes.NewReader(body))
		if err != nil {
			return err
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
		var wait time.Duration
		switch {
		case err != nil:
			lastErr = fmt.Errorf("graph %s %s: %w", req.method, u.Path, err)
			if ctx.Err() != nil {
				return lastErr
			}
			wait = c.backoff(attempt)
		default:
			data, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil {
				lastErr = fmt.Errorf("graph %s %s: reading the answer: %w", req.method, u.Path, rerr)
				wait = c.backoff(attempt)
				break
			}
			if resp.StatusCode/100 == 2 {
				if out == nil || len(data) == 0 {
					return nil
				}
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("graph %s %s: decoding the answer: %w", req.method, u.Path, err)
				}
				return nil
			}
			ge := &Error{Method: req.method, Path: u.Path, Status: resp.StatusCode}
			var env struct {
				Error struct{ Code, Message string }
			}
			if json.Unmarshal(data, &env) == nil {
				ge.Code, ge.Message = env.Error.Code, env.Error.Message
			}
			lastErr = ge
			if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable &&
				resp.StatusCode != http.StatusGatewayTimeout {
				return ge
			}
			wait = retryAfter(resp.Header.Get("Retry-After"), c.backoff(attempt))
		}
		if attempt == c.opts.MaxAttempts {
			break
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return errors.Join(lastErr, err)
		}
	}
	return fmt.Errorf("after %d attempts: %w", c.opts.MaxAttempts, lastErr)
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.BaseDelay << (attempt - 1)
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d
}

// retryAfter reads a Retry-After header in seconds (what Graph sends).
func retryAfter(h string, fallback time.Duration) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
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
