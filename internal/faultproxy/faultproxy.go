// Package faultproxy is a loopback HTTP proxy in front of moto_server that
// answers a share of AWS calls with throttling errors and 500s, and can
// fail every call made for one account, to test that retries, timeouts and
// per-target error reporting hold up.
//
// It tells accounts apart the way AWS does, by credentials: it reads the
// RoleArn of every AssumeRole call and the AccessKeyId of the answer, and
// maps later requests to an account by the access key in their
// Authorization header.
package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Proxy forwards to an AWS endpoint, injecting faults.
type Proxy struct {
	*httptest.Server
	target *url.URL

	mu   sync.Mutex
	keys map[string]string // access key id -> account
	n    int
	// Every injects a fault into every Every-th request (0: none).
	Every int
	// Victim is an account every call of which fails with a 500.
	Victim string
	// Injected counts the faults answered.
	Injected int
	// AssumeRoles counts the successful AssumeRole calls per account.
	AssumeRoles map[string]int
}

var (
	roleARNRe   = regexp.MustCompile(`RoleArn=arn%3Aaws%3Aiam%3A%3A(\d{12})%3Arole`)
	accessKeyRe = regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`)
	credRe      = regexp.MustCompile(`Credential=([^/]+)/`)
)

// New starts a proxy in front of target on loopback; it stops with the test.
func New(t testing.TB, target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: u, keys: map[string]string{}, AssumeRoles: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	account := ""
	if m := roleARNRe.FindSubmatch(body); m != nil {
		account = string(m[1])
	} else if m := credRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		p.mu.Lock()
		account = p.keys[m[1]]
		p.mu.Unlock()
	}
	p.mu.Lock()
	p.n++
	n := p.n
	fault := ""
	switch {
	case p.Victim != "" && account == p.Victim:
		fault = "500"
	case p.Every > 0 && n%p.Every == 0:
		fault = "throttle"
		if (n/p.Every)%2 == 0 {
			fault = "500"
		}
	}
	if fault != "" {
		p.Injected++
	}
	p.mu.Unlock()

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
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if account != "" && bytes.Contains(body, []byte("Action=AssumeRole")) {
		if m := accessKeyRe.FindSubmatch(data); m != nil {
			p.mu.Lock()
			p.keys[string(m[1])] = account
			p.AssumeRoles[account]++
			p.mu.Unlock()
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

// throttle answers in the protocol of the request: JSON for X-Amz-Target
// services (SSM, Organizations, Identity Store), XML for query services
// (STS, CloudFormation).
func throttle(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		return
	}
	if strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded") {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>`)
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}
