// Command faultproxyd runs the fault proxy in front of an AWS endpoint
// (moto_server) for the audit benchmark (scripts/bench-audit): it adds a
// fixed latency to every call, prints its URL on stdout, counts the calls
// per action (served at faultproxy.StatsPath), and stops on SIGINT or
// SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ssm-runas/ssm-runas/internal/faultproxy"
)

func main() {
	target := flag.String("target", "", "endpoint to forward to, e.g. http://127.0.0.1:5000 (required)")
	latency := flag.Duration("latency", 50*time.Millisecond, "latency added to every call")
	flag.Parse()
	if *target == "" {
		fmt.Fprintln(os.Stderr, "faultproxyd: --target is required")
		os.Exit(2)
	}
	p, err := faultproxy.Start(*target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultproxyd:", err)
		os.Exit(1)
	}
	p.Set(faultproxy.Faults{Latency: *latency})
	fmt.Println(p.URL)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	p.Close()
}
