package dcbootstrap_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/sambaad"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func sambaDomain() dcbootstrap.Samba {
	d := domain()
	d.Name, d.NetBIOS = "samdom.example.com", "SAMDOM"
	d.Seed.Domain = d.Name
	return dcbootstrap.Samba{Domain: d}
}

func TestSambaBootstrap(t *testing.T) {
	script, err := dcbootstrap.SambaBootstrap(sambaDomain())
	require.NoError(t, err)
	golden.Text(t, "bootstrap.sh", script)
	assert.NotContains(t, string(script), "{{")
	assert.Contains(t, string(script), "DOMAIN='samdom.example.com'")
	assert.Contains(t, string(script), "ensure_user 'Alice' '--given-name=Alice' '--surname=O'\\''Brien'", "the seed's own rendering, quoted for bash")

	shellcheck := testtools.Require(t, "shellcheck", "apt-get install -y shellcheck")
	p := filepath.Join(t.TempDir(), "bootstrap.sh")
	require.NoError(t, os.WriteFile(p, script, 0o755))
	out, err := exec.Command(shellcheck, "--shell=bash", "--severity=style", p).CombinedOutput()
	assert.NoError(t, err, "shellcheck:\n%s", out)
}

func TestSambaBootstrapRefusesBadInput(t *testing.T) {
	s := sambaDomain()
	s.HostName = "ip-172-31-100-200"
	_, err := dcbootstrap.SambaBootstrap(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `host name "ip-172-31-100-200": must be 1-15`)

	s = sambaDomain()
	s.StateDir = "/tmp/x'; rm -rf /"
	_, err = dcbootstrap.SambaBootstrap(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must be plain text")
}

// TestSambaBootstrapBuildsTheDomain runs the Samba engine's bootstrap, as
// the stack renders it, in private namespaces: it provisions a real Samba AD
// domain, seeds it and creates the join account with its rights on the join
// OU; then the hosts' own join script joins with that account (not the
// administrator), and SSSD resolves the seeded people as the SSM agent needs
// them, with sudo from the seeded groups. Secrets Manager and SSM are
// moto_server inside the namespace.
func TestSambaBootstrapBuildsTheDomain(t *testing.T) {
	sambaad.Require(t)
	testtools.Require(t, "moto_server", motoserver.Install)
	testtools.Require(t, "aws", "pip install awscli (or apt-get install awscli)")
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	adminPassword, joinPassword := "Adm1n."+stamp, "J0in."+stamp
	opts := sambaad.Options{Domain: "samdom.example.com", NetBIOS: "SAMDOM", DC: "dc1", Host: "linux1", AdminPassword: adminPassword}
	ns := sambaad.Start(t, opts)

	ns.SetEnv("AWS_ENDPOINT_URL=http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	ns.Background("moto_server", "-H", "127.0.0.1", "-p", "5000")
	ns.WaitPort(5000, time.Minute)
	createSecret := func(name, value string) string {
		file := filepath.Join(ns.Dir(), name+".secret")
		require.NoError(t, os.WriteFile(file, []byte(value), 0o600))
		res := ns.MustRun(time.Minute, "aws", "secretsmanager", "create-secret", "--region", "eu-west-1",
			"--name", "ssm-runas/dc/"+name, "--secret-string", "file://"+file, "--query", "ARN", "--output", "text")
		return strings.TrimSpace(res.Stdout)
	}
	join, err := json.Marshal(map[string]string{
		dcbootstrap.JoinSecretUsernameKey: "ssm-runas-join",
		dcbootstrap.JoinSecretPasswordKey: joinPassword,
	})
	require.NoError(t, err)

	s := sambaDomain()
	s.AdminSecretARN = createSecret("admin", adminPassword)
	s.JoinSecretARN = createSecret("join", string(join))
	s.HostName, s.HostIP, s.Interfaces = opts.DC, "127.0.0.1", "lo"
	s.StateDir = filepath.Join(ns.Dir(), "samba")
	script, err := dcbootstrap.SambaBootstrap(s)
	require.NoError(t, err)
	for _, secret := range []string{adminPassword, joinPassword} {
		assert.NotContains(t, string(script), secret)
	}
	status := func() string {
		res := ns.MustRun(time.Minute, "aws", "ssm", "get-parameter", "--region", "eu-west-1", "--name", s.StatusParameter,
			"--query", "Parameter.Value", "--output", "text")
		return strings.TrimSpace(res.Stdout)
	}

	start := time.Now()
	first := ns.RunScript(5*time.Minute, "bootstrap.sh", script)
	require.Equal(t, 0, first.Code, "the bootstrap failed:\n%s", first.Output())
	t.Logf("domain built after %s:\n%s", time.Since(start).Round(time.Second), first.Output())
	assert.Equal(t, dcbootstrap.StatusComplete, status())
	assert.Contains(t, first.Stdout, "ssm-runas: provisioned samdom.example.com")
	assert.Contains(t, first.Stdout, "ssm-runas: join account created: ssm-runas-join")
	assert.Contains(t, first.Stdout, "ssm-runas: granted (OA;CI;CCDC;bf967a86-0de6-11d0-a285-00aa003049e2;;S-1-5-21-")
	log := ns.MustRun(time.Minute, "cat", dcbootstrap.SambaLogPath)
	assert.Contains(t, log.Stdout, "ssm-runas: complete")

	again := ns.Run(5*time.Minute, "bash", filepath.Join(ns.Dir(), "bootstrap.sh"))
	require.Equal(t, 0, again.Code, "the bootstrap failed on its second run:\n%s", again.Output())
	assert.Contains(t, again.Stdout, "ssm-runas: the domain samdom.example.com is provisioned")
	assert.Contains(t, again.Stdout, "ssm-runas: user Alice exists")
	assert.Contains(t, again.Stdout, "ssm-runas: join account exists, password set from the join secret")
	assert.NotContains(t, again.Stdout, "ssm-runas: granted", "every right is in place")
	assert.Equal(t, dcbootstrap.StatusComplete, status())
	for _, secret := range []string{adminPassword, joinPassword} {
		assert.NotContains(t, first.Output()+again.Output(), secret, "a password must never be output")
		assert.NotContains(t, ns.MustRun(time.Minute, "cat", dcbootstrap.SambaLogPath).Stdout, secret)
	}

	// The hosts join with the least-privileged account into the join OU.
	spec := hostjoin.Spec{
		Domain: hostjoin.Domain{
			Name: opts.Domain, Realm: opts.Realm(),
			Controllers: []string{opts.DCName()}, DNSServers: []string{"127.0.0.1"},
		},
		JoinOU:          s.JoinOUDN(),
		Credential:      hostjoin.Credential{SecretARN: s.JoinSecretARN},
		IDMapping:       false,
		Shell:           "/bin/bash",
		LoginGroups:     []string{"Linux-Users"},
		Sudo:            []settings.GroupSudo{{Group: "Linux-Admins", Rule: settings.Sudo{Commands: []string{"ALL"}, RunAs: "ALL", NoPassword: true}}},
		InstallPackages: true,
	}
	joinScript, err := hostjoin.Script(spec)
	require.NoError(t, err)
	res := ns.RunScript(3*time.Minute, "join.sh", joinScript)
	require.Equal(t, 0, res.Code, "joining with the join account failed:\n%s", res.Output())
	assert.Contains(t, res.Stdout, "ssm-runas: joined samdom.example.com as LINUX1")
	computer := ns.MustRun(time.Minute, "samba-tool", "computer", "show", "LINUX1")
	assert.Contains(t, computer.Stdout, "CN=LINUX1,"+s.JoinOUDN())

	// Least privilege: the join account may create computer accounts in
	// its OU, and nothing elsewhere.
	asJoin := func(args ...string) sambaad.Result {
		return ns.Run(time.Minute, "samba-tool", append(args, "-H", "ldap://"+opts.DCName(), "-U", "ssm-runas-join%"+joinPassword)...)
	}
	inOU := asJoin("computer", "create", "LINUX8", "--computerou="+s.JoinOU)
	assert.Equal(t, 0, inOU.Code, "a computer account in the join OU: %s", inOU.Output())
	outside := asJoin("computer", "create", "LINUX9")
	assert.NotEqual(t, 0, outside.Code, "a computer account in CN=Computers must be refused: %s", outside.Output())
	person := asJoin("user", "create", "mallory", "--random-password")
	assert.NotEqual(t, 0, person.Code, "creating a user must be refused: %s", person.Output())
	group := asJoin("group", "addmembers", "Linux-Admins", "ssm-runas-join")
	assert.NotEqual(t, 0, group.Code, "joining a sudo group must be refused: %s", group.Output())

	for _, p := range []struct {
		name     string
		uid, gid int
		sudo     bool
	}{
		{"alice", 10001, 10000, false},
		{"bob", 10002, 10000, true},
	} {
		id := ns.Run(time.Minute, "sh", "-c", "id -u "+p.name)
		require.Equal(t, 0, id.Code, "id -u %s: %s", p.name, id.Output())
		assert.Equal(t, strconv.Itoa(p.uid), strings.TrimSpace(id.Stdout))
		gid := ns.MustRun(time.Minute, "id", "-g", p.name)
		assert.Equal(t, strconv.Itoa(p.gid), strings.TrimSpace(gid.Stdout))
		home := ns.Run(time.Minute, "stat", "-c", "%u", "/home/"+p.name)
		assert.Equal(t, 0, home.Code, "home of %s", p.name)
		sudo := ns.Run(time.Minute, "sudo", "-l", "-U", p.name)
		if p.sudo {
			assert.Contains(t, sudo.Stdout, "(ALL) NOPASSWD: ALL", "%s is in Linux-Admins through SRE", p.name)
		} else {
			assert.NotContains(t, sudo.Stdout, "NOPASSWD", "%s has no sudo rule", p.name)
		}
	}
	for _, name := range []string{"dave", "carol", "mallory"} {
		id := ns.Run(time.Minute, "id", name)
		assert.NotEqual(t, 0, id.Code, "%s must not resolve (disabled, no RFC2307 attributes, unknown): %s", name, id.Output())
	}
	t.Logf("whole test took %s", time.Since(start).Round(time.Second))
}
