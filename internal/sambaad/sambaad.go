package sambaad

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// InstallCommand installs what the namespace needs on Debian 12.
const InstallCommand = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " +
	"samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind sssd-ad sssd-tools adcli krb5-user " +
	"libnss-sss libpam-sss sudo ldb-tools jq iproute2"

// tools are the programs the namespace runs.
var tools = []string{
	"unshare", "nsenter", "ip", "hostname", "samba", "samba-tool", "sssd", "sssctl", "adcli", "sudo", "visudo", "jq", "ldbsearch",
}

// Options names the domain and the two machines.
type Options struct {
	// Domain is the DNS name, e.g. samdom.example.com.
	Domain string
	// NetBIOS is the short domain name, e.g. SAMDOM.
	NetBIOS string
	// DC is the domain controller's host name, e.g. dc1.
	DC string
	// Host is the client's host name, e.g. linux1 (at most 15 characters).
	Host string
	// AdminPassword is the domain Administrator's password, for the test's
	// own bookkeeping: the test builds the domain with it.
	AdminPassword string
}

// Realm is the Kerberos realm of the domain.
func (o Options) Realm() string { return strings.ToUpper(o.Domain) }

// DCName is the domain controller's FQDN.
func (o Options) DCName() string { return o.DC + "." + o.Domain }

// Namespace is a running set of namespaces with the machines in it.
type Namespace struct {
	t      testing.TB
	opts   Options
	dir    string
	holder *exec.Cmd
	pid    int
	env    []string
}

// Result is what a command in the namespace did.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Output is stdout and stderr together, for messages.
func (r Result) Output() string { return r.Stdout + r.Stderr }

// Require skips the test when it cannot get root or namespaces, and fails
// it with InstallCommand when a tool is missing.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the Samba domain and SSSD run in private namespaces (unshare), which only root may create")
	}
	if _, err := exec.LookPath("unshare"); err == nil {
		if out, err := exec.Command("unshare", "--net", "--mount", "--uts", "--pid", "--fork", "true").CombinedOutput(); err != nil {
			t.Skipf("cannot create network, mount, UTS and PID namespaces here (%v: %s): the Samba domain test needs them", err, bytes.TrimSpace(out))
		}
	}
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s not installed: %s", strings.Join(missing, ", "), InstallCommand)
	}
}

// holderScript prepares the namespaces, reports ready, and then holds them
// open as their first process.
const holderScript = `set -euo pipefail
state="$1" host="$2" domain="$3" dc="$4"
mount --make-rprivate /
ip link set lo up
hostname "$host"
# Private /etc: everything the join writes lands in the copy.
cp -a /etc "$state/etc"
mount --bind "$state/etc" /etc
mkdir -p "$state/sss" "$state/home" "$state/log/sssd" "$state/log/samba"
cp -a /var/lib/sss/. "$state/sss/"
rm -f "$state"/sss/db/* "$state"/sss/mc/*
mount --bind "$state/sss" /var/lib/sss
mount --bind "$state/home" /home
mount --bind "$state/log" /var/log
mount -t tmpfs -o mode=0755 tmpfs /run
# The DC's own DNS answers for the domain; /etc/hosts names both machines.
rm -f /etc/resolv.conf /etc/hosts
printf 'nameserver 127.0.0.1\nsearch %s\n' "$domain" >/etc/resolv.conf
printf '127.0.0.1 localhost\n127.0.0.1 %s.%s %s\n127.0.0.1 %s.%s %s\n' "$dc" "$domain" "$dc" "$host" "$domain" "$host" >/etc/hosts
# The host starts without directory users in NSS: the join script adds sss.
sed -i -E '/^(passwd|group|shadow|netgroup|services|sudoers):/s/[[:space:]]+sss\b//' /etc/nsswitch.conf
rm -f /etc/krb5.conf /etc/krb5.keytab /etc/sssd/sssd.conf
echo ready
exec sleep infinity
`

// systemctlShim stands in for systemctl: no systemd runs in the namespace.
// It does what the join script asks of it for sssd (start, stop, restart,
// is-active) with the sssd binary itself, accepts enable and daemon-reload
// (boot-time matters), and records every call.
const systemctlShim = `#!/bin/bash
set -euo pipefail
echo "$*" >>"${SYSTEMCTL_LOG:?}"
args=()
for a in "$@"; do
  case "$a" in --now | --quiet | -q) ;; *) args+=("$a") ;; esac
done
cmd="${args[0]:-}"
unit="${args[1]:-}"
unit="${unit%.service}"
pidfile=/run/sssd.pid
running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
stop() {
  local pid
  running || return 0
  pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "sssd $pid did not stop" >&2
  return 1
}
start() { running || sssd -D --logger=files; }
case "$cmd:$unit" in
  start:sssd) start ;;
  stop:sssd) stop ;;
  restart:sssd) stop && start ;;
  is-active:sssd) running ;;
  enable:* | daemon-reload:) ;;
  *)
    echo "systemctl stand-in: unsupported: $*" >&2
    exit 1
    ;;
esac
`

// Start creates the namespaces and returns once they are ready. They end
// when the test does.
func Start(t testing.TB, opts Options) *Namespace {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	for _, d := range []string{"state", "bin"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatalf("creating %s: %v", d, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "systemctl"), []byte(systemctlShim), 0o755); err != nil {
		t.Fatalf("writing the systemctl stand-in: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "systemctl.log"), nil, 0o600); err != nil {
		t.Fatalf("creating the systemctl stand-in's log: %v", err)
	}
	holder := exec.Command("unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "--",
		"bash", "-c", holderScript, "holder", filepath.Join(dir, "state"), opts.Host, opts.Domain, opts.DC)
	holder.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	holder.Stderr = &stderr
	stdout, err := holder.StdoutPipe()
	if err != nil {
		t.Fatalf("starting the namespaces: %v", err)
	}
	if err := holder.Start(); err != nil {
		t.Fatalf("starting the namespaces: %v", err)
	}
	n := &Namespace{t: t, opts: opts, dir: dir, holder: holder}
	t.Cleanup(n.stop)

	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("preparing the namespaces: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("preparing the namespaces took more than 30s:\n%s", stderr.String())
	}
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", holder.Process.Pid, holder.Process.Pid))
	if err != nil {
		t.Fatalf("finding the namespaces' first process: %v", err)
	}
	n.pid, err = strconv.Atoi(strings.TrimSpace(string(children)))
	if err != nil {
		t.Fatalf("finding the namespaces' first process in %q: %v", children, err)
	}
	return n
}

// stop kills the namespaces' first process, which ends every process in
// the PID namespace; the mounts go with the last of them.
func (n *Namespace) stop() {
	if n.pid > 0 {
		_ = syscall.Kill(n.pid, syscall.SIGKILL)
	}
	_ = n.holder.Process.Kill()
	_ = n.holder.Wait()
	if n.pid > 0 {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", n.pid)); errors.Is(err, os.ErrNotExist) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		n.t.Errorf("the namespaces' first process %d outlived the test", n.pid)
	}
}

// Dir is a directory shared with the namespace (the same path inside).
func (n *Namespace) Dir() string { return n.dir }

// Options returns the domain's names.
func (n *Namespace) Options() Options { return n.opts }

// SystemctlLog is where the systemctl stand-in records its calls.
func (n *Namespace) SystemctlLog() string { return filepath.Join(n.dir, "systemctl.log") }

// Run runs a command inside the namespaces as root, with the systemctl
// stand-in first on PATH, and returns what it did. It fails the test only
// when the command cannot be started or runs longer than timeout.
func (n *Namespace) Run(timeout time.Duration, name string, args ...string) Result {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append([]string{"--target", strconv.Itoa(n.pid), "--net", "--mount", "--uts", "--pid", "--", name}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", argv...)
	cmd.Env = n.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		n.t.Fatalf("%s %s: still running after %s\n%s", name, strings.Join(args, " "), timeout, res.Output())
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		n.t.Fatalf("running %s in the namespace: %v", name, err)
	}
	return res
}

// SetEnv adds KEY=VALUE pairs to the environment of every later command.
func (n *Namespace) SetEnv(pairs ...string) { n.env = append(n.env, pairs...) }

// environ is what commands in the namespace see: the systemctl stand-in
// first on PATH, then the test's own PATH (tools installed outside the
// system directories, such as the AWS CLI, are found as the test finds them).
func (n *Namespace) environ() []string {
	return append([]string{
		"PATH=" + filepath.Join(n.dir, "bin") + ":" + os.Getenv("PATH") + ":/usr/local/sbin:/usr/sbin:/sbin",
		"SYSTEMCTL_LOG=" + n.SystemctlLog(),
		"LC_ALL=C", "HOME=/root",
	}, n.env...)
}

// Background starts a long-running command inside the namespaces (a
// server). It ends with the namespaces.
func (n *Namespace) Background(name string, args ...string) {
	n.t.Helper()
	argv := append([]string{"--target", strconv.Itoa(n.pid), "--net", "--mount", "--uts", "--pid", "--", name}, args...)
	cmd := exec.Command("nsenter", argv...)
	cmd.Env = n.environ()
	log, err := os.Create(filepath.Join(n.dir, name+".log"))
	if err != nil {
		n.t.Fatalf("creating the log of %s: %v", name, err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("starting %s in the namespace: %v", name, err)
	}
	n.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = log.Close()
	})
}

// WaitPort waits until something inside the namespaces accepts TCP
// connections on 127.0.0.1:port.
func (n *Namespace) WaitPort(port int, timeout time.Duration) {
	n.t.Helper()
	n.MustRun(timeout+10*time.Second, "bash", "-c", fmt.Sprintf(`for _ in $(seq %d); do
  (exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null && exit 0
  sleep 0.1
done
echo "nothing listens on port %d after %s" >&2
exit 1`, int(timeout/(100*time.Millisecond)), port, port, timeout))
}

// MustRun is Run that fails the test on a non-zero exit.
func (n *Namespace) MustRun(timeout time.Duration, name string, args ...string) Result {
	n.t.Helper()
	res := n.Run(timeout, name, args...)
	if res.Code != 0 {
		n.t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), res.Code, res.Output())
	}
	return res
}

// RunScript writes script into the shared directory and runs it with bash.
func (n *Namespace) RunScript(timeout time.Duration, file string, script []byte, bashArgs ...string) Result {
	n.t.Helper()
	p := filepath.Join(n.dir, file)
	if err := os.WriteFile(p, script, 0o700); err != nil {
		n.t.Fatalf("writing %s: %v", file, err)
	}
	return n.Run(timeout, "bash", append(bashArgs, p)...)
}
