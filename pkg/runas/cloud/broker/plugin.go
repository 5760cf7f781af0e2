package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PluginName is the Session Manager plugin's executable.
const PluginName = "session-manager-plugin"

// PluginResponseEnv is the variable the AWS CLI hands the StartSession
// response in to plugins newer than LastPluginWithoutEnv, passing the
// variable's name as the first argument instead of the response itself
// (awscli/customizations/sessionmanager.py).
const PluginResponseEnv = "AWS_SSM_START_SESSION_RESPONSE"

// LastPluginWithoutEnv is the last plugin version that takes the response
// only as an argument.
const LastPluginWithoutEnv = "1.2.497.0"

// ErrPluginMissing is returned when session-manager-plugin is not on PATH.
var ErrPluginMissing = errors.New("session-manager-plugin is not installed: see https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html")

// StartSessionParameters are the StartSession request parameters, in the
// order the AWS CLI collects them from its options (the operation's input
// members: Target, DocumentName, Reason, Parameters); only the options the
// person gave are present.
type StartSessionParameters struct {
	Target       string
	DocumentName string
	Reason       string
	Parameters   map[string][]string
}

// PluginInvocation is the command line and extra environment the plugin
// is started with.
type PluginInvocation struct {
	Args []string
	// Env is the extra variable, NAME=VALUE, or empty.
	Env []string
}

// NewPluginInvocation builds the arguments exactly as `aws ssm
// start-session` passes them: the response (or the variable holding it),
// the region, "StartSession", the profile ("" when none), the request
// parameters and the SSM endpoint URL, with the JSON spelled as Python's
// json.dumps spells it.
func NewPluginInvocation(pluginVersion string, s Session, region, profile string, p StartSessionParameters, endpointURL string) PluginInvocation {
	resp := pyObject([]pyField{{"SessionId", pyString(s.SessionID)}, {"TokenValue", pyString(s.TokenValue)}, {"StreamUrl", pyString(s.StreamURL)}})
	var inv PluginInvocation
	first := resp
	if pluginTakesEnv(pluginVersion) {
		inv.Env = []string{PluginResponseEnv + "=" + resp}
		first = PluginResponseEnv
	}
	inv.Args = []string{first, region, "StartSession", profile, p.pyJSON(), endpointURL}
	return inv
}

// SSMEndpoint is the SSM endpoint the AWS CLI resolves for region.
func SSMEndpoint(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "https://ssm." + region + ".amazonaws.com.cn"
	}
	return "https://ssm." + region + ".amazonaws.com"
}

var versionRe = regexp.MustCompile(`^\d+(\.\d+){0,3}$`)

// pluginTakesEnv applies the AWS CLI's rule: a valid version strictly
// above LastPluginWithoutEnv takes the response through the variable.
func pluginTakesEnv(version string) bool {
	v := strings.Join(strings.Fields(version), "")
	if !versionRe.MatchString(v) {
		return false
	}
	a, b := parts(v), parts(LastPluginWithoutEnv)
	for len(a) < len(b) {
		a = append(a, 0)
	}
	for len(b) < len(a) {
		b = append(b, 0)
	}
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

func parts(v string) []int {
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

// RunOptions start the plugin.
type RunOptions struct {
	// Plugin is optional, default session-manager-plugin from PATH.
	Plugin         string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// FindPlugin returns the plugin's path and version, or ErrPluginMissing.
// connect calls it before asking the broker, so a missing plugin never
// leaves a started session behind.
func FindPlugin(ctx context.Context, plugin string) (path, version string, err error) {
	if plugin == "" {
		plugin = PluginName
	}
	path, err = exec.LookPath(plugin)
	if err != nil {
		return "", "", fmt.Errorf("%w (looked for %s)", ErrPluginMissing, plugin)
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("running %s --version: %w", path, err)
	}
	return path, strings.TrimSpace(string(out)), nil
}

// RunPlugin starts the plugin with inv and waits for it. The plugin talks
// to the agent directly over StreamUrl; the broker is not involved.
func RunPlugin(ctx context.Context, path string, inv PluginInvocation, o RunOptions) error {
	// Like the AWS CLI, leave Ctrl-C, Ctrl-\ and Ctrl-Z to the plugin,
	// which forwards them to the remote shell.
	signal.Ignore(userSignals...)
	defer signal.Reset(userSignals...)
	cmd := exec.CommandContext(ctx, path, inv.Args...)
	cmd.Env = append(os.Environ(), inv.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("session-manager-plugin exited with status %d: if it reported an expired or invalid token, run connect again (the token is meant to be used at once)", ee.ExitCode())
		}
		return fmt.Errorf("running session-manager-plugin: %w", err)
	}
	return nil
}

// pyField is one key of a JSON object in the order Python keeps it.
type pyField struct {
	key   string
	value string // already encoded
}

func pyObject(fields []pyField) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyString(f.key))
		b.WriteString(": ")
		b.WriteString(f.value)
	}
	b.WriteByte('}')
	return b.String()
}

func pyList(items []string) string {
	enc := make([]string, len(items))
	for i, s := range items {
		enc[i] = pyString(s)
	}
	return "[" + strings.Join(enc, ", ") + "]"
}

// pyString encodes s as Python's json.dumps does with its defaults
// (ensure_ascii): non-ASCII characters as \uXXXX escapes, '/' and '&' as they are.
func pyString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	var b strings.Builder
	for len(out) > 0 {
		r, size := utf8.DecodeRuneInString(out)
		out = out[size:]
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func (p StartSessionParameters) pyJSON() string {
	fields := []pyField{{"Target", pyString(p.Target)}}
	if p.DocumentName != "" {
		fields = append(fields, pyField{"DocumentName", pyString(p.DocumentName)})
	}
	if p.Reason != "" {
		fields = append(fields, pyField{"Reason", pyString(p.Reason)})
	}
	if len(p.Parameters) > 0 {
		keys := make([]string, 0, len(p.Parameters))
		for k := range p.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ps []pyField
		for _, k := range keys {
			ps = append(ps, pyField{k, pyList(p.Parameters[k])})
		}
		fields = append(fields, pyField{"Parameters", pyObject(ps)})
	}
	return pyObject(fields)
}
