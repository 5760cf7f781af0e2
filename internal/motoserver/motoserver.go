// Package motoserver starts moto_server, the AWS API emulator, on a
// loopback port the test picks, and stops it when the test ends. Tests of
// AWS-facing code talk to it instead of to hand-written fakes of AWS.
package motoserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
)

// Install is what to run when moto_server is missing.
const Install = "pip install 'moto[server]' (or apt-get install python3-moto)"

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint to point every client at, http://127.0.0.1:PORT.
	URL string
}

// Start runs moto_server for the duration of the test. A missing
// moto_server fails the test with what to install.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testtools.Require(t, "moto_server", Install)
	port, err := freePort()
	if err != nil {
		t.Fatalf("picking a loopback port: %v", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case <-done:
			t.Fatalf("moto_server exited before it served on port %d", port)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on port %d within 30s: %v", port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Reset drops every resource moto holds, for tests that share a server.
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("resetting moto_server: %v", err)
	}
	resp.Body.Close()
}

// Config is an AWS config for region that sends every call to the server
// with throwaway static credentials.
func (s *Server) Config(region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAMOTOTESTING00000", "secret", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 2,
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Context is a test context that ends with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
