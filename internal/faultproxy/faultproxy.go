// Package faultproxy is a loopback HTTP proxy in front of moto_server that
// makes it behave more like AWS over a real network: it adds latency to
// every call, answers a share of calls with throttling errors and 500s,
// can fail every call made for one account, and can go down mid-run. It is
// for the tests and the benchmark of the fleet machinery (retries,
// timeouts, back-off, per-target error reporting).
//
// It tells accounts apart the way AWS does, by credentials: it reads the
// RoleArn of every AssumeRole call and the AccessKeyId of the answer, and
// maps later requests to an account by the access key in their
// Authorization header.
package faultproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Faults says what the proxy injects; the zero value forwards untouched.
type Faults struct {
	// Latency is added to every call before it is forwarded, as the
	// network and the service add it on AWS (tens of milliseconds).
	Latency time.Duration
	// Every injects a fault into every Every-th request (0: none),
	// alternating a throttling error and a 500.
	Every int
	// Victim is an account every call of which fails with a 500.
	Victim string
}

// Proxy forwards to an AWS endpoint, injecting faults.
type Proxy struct {
	// URL is the proxy's endpoint, http://127.0.0.1:PORT.
	URL string

	target   *url.URL
	listener net.Listener
	server   *http.Server
	client   *http.Client

	mu          sync.Mutex
	faults      Faults
	keys        map[string]string // access key id -> account
	n           int
	injected    int
	assumeRoles map[string]int
	actions     map[string]int
	busy        map[string]time.Duration // time per action, latency included
}

// Cleaner is the part of testing.TB New needs.
type Cleaner interface {
	Cleanup(func())
}

// New starts a proxy in front of target on a loopback port; t (a test, or
// nil for a program that calls Close itself) stops it at the end.
func New(t Cleaner, target string) *Proxy {
	p, err := Start(target)
	if err != nil {
		panic(fmt.Sprintf("starting the fault proxy: %v", err))
	}
	if t != nil {
		t.Cleanup(p.Close)
	}
	return p
}

// Start starts a proxy in front of target on a loopback port.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parsing the target %q: %w", target, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 512
	p := &Proxy{
		URL: "http://" + l.Addr().String(), target: u, listener: l,
		client: &http.Client{Transport: tr},
		keys:   map[string]string{}, assumeRoles: map[string]int{}, actions: map[string]int{}, busy: map[string]time.Duration{},
	}
	p.server = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// Set replaces the faults injected from now on.
func (p *Proxy) Set(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// Injected counts the faults answered.
func (p *Proxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// AssumeRoles counts the successful AssumeRole calls for account.
func (p *Proxy) AssumeRoles(account string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.assumeRoles[account]
}

// Calls counts the calls forwarded for an action ("GetDocument",
// "AssumeRole", ...).
func (p *Proxy) Calls(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.actions[action]
}

// Actions returns the calls forwarded per action so far.
func (p *Proxy) Actions() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.actions))
	for k, v := range p.actions {
		out[k] = v
	}
	return out
}

// Stats are the calls forwarded per action and the mean time each took
// from arrival at the proxy to the answer, injected latency included.
type Stats struct {
	Calls       map[string]int     `json:"calls"`
	MeanSeconds map[string]float64 `json:"meanSeconds"`
}

// Stats returns the calls forwarded so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{Calls: map[string]int{}, MeanSeconds: map[string]float64{}}
	for k, n := range p.actions {
		st.Calls[k] = n
		st.MeanSeconds[k] = p.busy[k].Seconds() / float64(n)
	}
	return st
}

// Down stops the proxy at once, cutting the connections in flight, so
// every later call is refused, as when the endpoint dies mid-run.
func (p *Proxy) Down() { p.Close() }

// Close stops the proxy.
func (p *Proxy) Close() {
	_ = p.server.Close()
	_ = p.listener.Close()
}

var (
	roleARNRe   = regexp.MustCompile(`RoleArn=arn%3Aaws%3Aiam%3A%3A(\d{12})%3Arole`)
	accessKeyRe = regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`)
	credRe      = regexp.MustCompile(`Credential=([^/]+)/`)
	actionRe    = regexp.MustCompile(`(?:^|&)Action=([A-Za-z]+)`)
)

// action names the API call: X-Amz-Target for JSON services, Action for
// query services.
func action(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if m := actionRe.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return r.Method + " " + r.URL.Path
}

// StatsPath answers, on the proxy itself, the calls forwarded per action
// as a JSON object: what a benchmark run outside Go reads.
const StatsPath = "/__faultproxy/stats"

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatsPath {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.Stats())
		return
	}
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	account := ""
	if m := roleARNRe.FindSubmatch(body); m != nil {
		account = string(m[1])
	} else if m := credRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		p.mu.Lock()
		account = p.keys[m[1]]
		p.mu.Unlock()
	}
	act := action(r, body)
	p.mu.Lock()
	f := p.faults
	p.n++
	n := p.n
	fault := ""
	switch {
	case f.Victim != "" && account == f.Victim:
		fault = "500"
	case f.Every > 0 && n%f.Every == 0:
		fault = "throttle"
		if (n/f.Every)%2 == 0 {
			fault = "500"
		}
	}
	if fault != "" {
		p.injected++
	}
	p.mu.Unlock()

	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return
		}
	}
	switch fault {
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "throttle":
		throttle(w, r)
		return
	}

	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target.String()+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := p.client.Transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	p.mu.Lock()
	p.actions[act]++
	p.busy[act] += time.Since(arrived)
	if account != "" && act == "AssumeRole" {
		if m := accessKeyRe.FindSubmatch(data); m != nil {
			p.keys[string(m[1])] = account
			p.assumeRoles[account]++
		}
	}
	p.mu.Unlock()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(data)
}

// throttle answers in the protocol of the request: JSON for X-Amz-Target
// services (SSM, Organizations, Identity Store), XML for query services
// (STS, CloudFormation).
func throttle(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		return
	}
	if strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded") {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>`)
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}
