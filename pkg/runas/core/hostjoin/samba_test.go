package hostjoin_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/sambaad"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// The domain of the Samba test. Passwords are generated per run.
var (
	samba = sambaad.Options{
		Domain: "samdom.example.com", NetBIOS: "SAMDOM", DC: "dc1", Host: "linux1",
		AdminPassword: "Adm1n." + strconv.FormatInt(time.Now().UnixNano(), 36),
	}
	joinPassword = "J0in." + strconv.FormatInt(time.Now().UnixNano(), 36)
)

// sambaSeed has what the hosts must tell apart: a mixed-case name, a user
// without RFC2307 attributes, a disabled member of a sudo group, and sudo
// through a nested group.
func sambaSeed() directory.Seed {
	return directory.Seed{
		Domain: samba.Domain,
		OUs:    []string{"OU=LinuxHosts"},
		Users: []directory.User{
			{Name: "Alice", GivenName: "Alice", Surname: "Smith", POSIX: &directory.POSIX{UID: 10001, GID: 10000}},
			{Name: "bob", POSIX: &directory.POSIX{UID: 10002, GID: 10000}},
			{Name: "carol"},
			{Name: "Dave", Disabled: true, POSIX: &directory.POSIX{UID: 10004, GID: 10000}},
		},
		Groups: []directory.Group{
			{Name: "Linux-Users", GID: 10000, Members: []string{"Alice", "bob", "carol", "Dave"}},
			{Name: "SRE", GID: 10010, Members: []string{"bob"}},
			{Name: "Linux-Admins", GID: 10011, Members: []string{"SRE", "Dave"}},
			{Name: "DB Operators", GID: 10012, Members: []string{"Alice"}},
		},
	}
}

var (
	adminsRule = settings.Sudo{Commands: []string{"ALL"}, RunAs: "ALL", NoPassword: true}
	dbRule     = settings.Sudo{Commands: []string{"/usr/bin/systemctl restart postgresql"}, RunAs: "ALL", NoPassword: true, NoExec: true}
)

// person is what the SSM agent must find, or not find, for one Run As value.
type person struct {
	name string
	// resolves is whether the agent can start a shell as the person.
	resolves bool
	// uid and gid are the expected IDs; 0 means mapped from the SID.
	uid, gid int
	// sudo are the rules `sudo -l -U` lists.
	sudo []string
	// keptHome is set for a person who no longer resolves but had a home
	// before: it stays, untouched (it holds their files).
	keptHome bool
}

// The join account, as the domain controller bootstrap creates it: allowed
// to create and manage computer accounts in the join OU, nothing else.
const (
	joinUser = "ssm-runas-join"
	joinOU   = "OU=LinuxHosts"
	region   = "eu-west-1"
)

// TestJoinAgainstSambaAD runs the very join script against a real Samba AD
// domain controller, with SSSD as the client, and checks what the SSM agent
// checks before it starts a Run As shell. The domain is built by the Samba
// domain controller's own bootstrap (dcbootstrap), which also creates the
// least-privileged join account; the Administrator account is disabled
// before any host joins. The join account comes from Secrets Manager as
// moto_server answers it inside the namespace (the RFC2307 run reads it from
// a file, the spec's other Credential). The package step runs for real: apt
// installs the removed adcli and jq from a local repository of the
// machine's own packages, inside overlays that keep the machine's packages
// untouched. systemctl is a stand-in (no systemd runs in the namespace)
// that starts and stops the real sssd.
func TestJoinAgainstSambaAD(t *testing.T) {
	start := time.Now()
	testtools.Require(t, "moto_server", motoserver.Install)
	testtools.Require(t, "aws", "pip install awscli (or apt-get install awscli)")
	hostAPT := hostPackageState(t)
	ns := sambaad.Start(t, samba)
	ns.LocalPackageRepository(hostjoin.DebPackages...)
	t.Logf("package repository ready after %s", time.Since(start).Round(time.Second))

	// Secrets Manager (and the bootstrap's status parameter) is moto_server
	// inside the namespace; the AWS CLI finds it through AWS_ENDPOINT_URL,
	// with the credentials an instance profile would give it.
	ns.SetEnv("AWS_ENDPOINT_URL=http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	ns.Background("moto_server", "-H", "127.0.0.1", "-p", "5000")
	ns.WaitPort(5000, time.Minute)
	createSecret := func(name string, value []byte) string {
		file := filepath.Join(ns.Dir(), name+".secret")
		require.NoError(t, os.WriteFile(file, value, 0o600))
		res := ns.MustRun(time.Minute, "aws", "secretsmanager", "create-secret", "--region", region,
			"--name", "ssm-runas/"+name, "--secret-string", "file://"+file, "--query", "ARN", "--output", "text")
		return strings.TrimSpace(res.Stdout)
	}
	joinSecret, err := json.Marshal(map[string]string{
		settings.JoinSecretUsernameKey: joinUser,
		settings.JoinSecretPasswordKey: joinPassword,
	})
	require.NoError(t, err)
	secretFile := filepath.Join(ns.Dir(), "join.json")
	require.NoError(t, os.WriteFile(secretFile, joinSecret, 0o600))

	dc := dcbootstrap.Samba{
		Domain: dcbootstrap.Domain{
			Name: samba.Domain, NetBIOS: samba.NetBIOS, Region: region,
			AdminSecretARN: createSecret("admin", []byte(samba.AdminPassword)),
			JoinSecretARN:  createSecret("domain-join", joinSecret),
			JoinUser:       joinUser, JoinOU: joinOU,
			StatusParameter: "/test/domain-controller/status",
			Seed:            sambaSeed(),
		},
		HostName: samba.DC, HostIP: "127.0.0.1", Interfaces: "lo",
		StateDir: filepath.Join(ns.Dir(), "samba"),
	}
	bootstrap, err := dcbootstrap.SambaBootstrap(dc)
	require.NoError(t, err)
	res := ns.RunScript(5*time.Minute, "bootstrap.sh", bootstrap)
	require.Equal(t, 0, res.Code, "building the domain:\n%s", res.Output())
	require.Contains(t, res.Stdout, "ssm-runas: join account created: "+joinUser)
	t.Logf("domain built after %s", time.Since(start).Round(time.Second))
	// An account with uidNumber 0: never root on a host.
	ns.MustRun(time.Minute, "samba-tool", "user", "create", "eve", "--random-password", "--nis-domain=samdom",
		"--uid-number=0", "--gid-number=0", "--unix-home=/root", "--login-shell=/bin/bash")
	ns.MustRun(time.Minute, "samba-tool", "group", "addmembers", "Linux-Users", "eve")
	// Hosts never need the administrator: with the account disabled, a
	// script that used it could not join.
	ns.MustRun(time.Minute, "samba-tool", "user", "disable", "Administrator")

	spec := hostjoin.Spec{
		Domain: hostjoin.Domain{
			Name: samba.Domain, Realm: samba.Realm(),
			Controllers: []string{samba.DCName()}, DNSServers: []string{"127.0.0.1"},
		},
		JoinOU:      dc.JoinOUDN(),
		Credential:  hostjoin.Credential{SecretARN: dc.JoinSecretARN},
		IDMapping:   true,
		Shell:       "/bin/bash",
		LoginGroups: []string{"Linux-Users"},
		Sudo: []settings.GroupSudo{
			{Group: "Linux-Admins", Rule: adminsRule},
			{Group: "DB Operators", Rule: dbRule},
		},
		// As the association renders it.
		InstallPackages: true,
	}
	adminsLine := "(ALL) NOPASSWD: ALL"
	// sudo lists the tags in its own order.
	dbLine := "(ALL) NOEXEC: NOPASSWD: /usr/bin/systemctl restart postgresql"

	// Each refusal comes before anything is written: the host stays as it
	// was, and no computer account appears.
	t.Run("SSSD older than 2.7 is refused", func(t *testing.T) {
		for _, version := range []string{"2.6.3", "1.16.5"} {
			// sssd --version prints the bare version, as the real one does.
			bin := filepath.Join(ns.Dir(), "sssd-"+version)
			require.NoError(t, os.MkdirAll(bin, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(bin, "sssd"), []byte(
				"#!/bin/sh\n[ \"$1\" = --version ] && { echo "+version+"; exit 0; }\necho \"sssd stand-in: $*\" >&2\nexit 1\n"), 0o755))
			res := refusedJoin(t, ns, spec, bin)
			assert.Contains(t, res.Stderr, "ssm-runas: SSSD "+version+" is too old: 2.7 or later is needed")
		}
	})

	t.Run("a missing join secret is refused", func(t *testing.T) {
		missing := spec
		missing.Credential.SecretARN = dc.JoinSecretARN[:strings.LastIndex(dc.JoinSecretARN, ":")+1] + "ssm-runas/no-such-secret-AbCdEf"
		res := refusedJoin(t, ns, missing, "")
		// The AWS CLI's own words for moto_server's answer, then the script's.
		assert.Contains(t, res.Stderr, "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation")
		assert.Contains(t, res.Stderr, "ssm-runas: cannot read the join secret "+missing.Credential.SecretARN+
			" (the reason is above): it must exist in "+region+", and this instance's role needs secretsmanager:GetSecretValue on it")
	})

	t.Run("a join secret without the password is refused", func(t *testing.T) {
		partial, err := json.Marshal(map[string]string{settings.JoinSecretUsernameKey: joinUser})
		require.NoError(t, err)
		lacking := spec
		lacking.Credential.SecretARN = createSecret("lacking-password", partial)
		res := refusedJoin(t, ns, lacking, "")
		assert.Contains(t, res.Stderr, "ssm-runas: the join secret "+lacking.Credential.SecretARN+
			" must be JSON with awsSeamlessDomainUsername and awsSeamlessDomainPassword")
	})

	t.Run("ID mapping", func(t *testing.T) {
		// The package step installs what is missing, from apt's only source
		// here: the local repository.
		ns.RemovePackages("adcli", "jq")
		// Traced with -x: the password must not show even then.
		res := runJoin(t, ns, spec, "-x")
		assert.NotContains(t, res.Stdout, "ssm-runas: sssd, adcli and jq are installed")
		assert.Contains(t, res.Stdout, "Setting up adcli (")
		assert.Contains(t, res.Stdout, "Setting up jq (")
		installed := ns.MustRun(time.Minute, "dpkg-query", "-W", "-f=${Package} ${Status}\n", "adcli", "jq")
		assert.Equal(t, "adcli install ok installed\njq install ok installed\n", installed.Stdout)
		assert.Equal(t, hostAPT, hostPackageState(t), "the machine's own packages and apt sources are untouched")

		assert.Contains(t, res.Stdout, "ssm-runas: joined "+samba.Domain+" as LINUX1")
		assert.Contains(t, res.Stdout, "ssm-runas: added sss to passwd and group in /etc/nsswitch.conf")
		checkPeople(t, ns, []person{
			{name: "alice", resolves: true, sudo: []string{dbLine}},
			{name: "bob", resolves: true, sudo: []string{adminsLine}},
			{name: "carol", resolves: true},
			// ID mapping ignores uidNumber: eve gets a mapped, positive uid.
			{name: "eve", resolves: true},
			{name: "dave"},
			{name: "mallory"},
		})
		keytab := ns.MustRun(time.Minute, "klist", "-k", "/etc/krb5.keytab")
		assert.Contains(t, keytab.Stdout, "LINUX1$@"+samba.Realm())
		computer := ns.MustRun(time.Minute, "samba-tool", "computer", "show", "LINUX1")
		assert.Contains(t, computer.Stdout, "CN=LINUX1,"+dc.JoinOUDN(), "joined into the configured OU")
		// The join account created the computer object, so it owns it; an
		// administrator's object would belong to Domain Admins.
		assert.Equal(t, sid(t, ns, "user", joinUser), owner(t, ns, "CN=LINUX1,"+dc.JoinOUDN()),
			"the computer account is the join account's")
	})

	t.Run("again, nothing changes", func(t *testing.T) {
		res := runJoin(t, ns, spec)
		assert.Contains(t, res.Stdout, "ssm-runas: already joined to "+samba.Domain)
		assert.NotContains(t, res.Stdout, "ssm-runas: wrote", "a second run writes nothing")
		assert.NotContains(t, res.Stdout, "restarted sssd")
	})

	t.Run("RFC2307", func(t *testing.T) {
		rfc := spec
		rfc.IDMapping = false
		rfc.InstallPackages = false // the check-only variant
		rfc.Credential = hostjoin.Credential{File: secretFile}
		rfc.Sudo = []settings.GroupSudo{{Group: "Linux-Admins", Rule: adminsRule}}
		res := runJoin(t, ns, rfc)
		assert.Contains(t, res.Stdout, "ssm-runas: restarted sssd", "a changed sssd.conf starts from an empty cache")
		assert.Contains(t, res.Stdout, "ssm-runas: removed /etc/sudoers.d/ssmrunas-ad-db_operators")
		assert.Contains(t, res.Stdout, "ssm-runas: /home/alice belonged to uid", "homes follow the new IDs")
		checkPeople(t, ns, []person{
			{name: "alice", resolves: true, uid: 10001, gid: 10000},
			{name: "bob", resolves: true, uid: 10002, gid: 10000, sudo: []string{adminsLine}},
			// Without uidNumber there is no uid.
			{name: "carol", keptHome: true},
			// uidNumber 0 is below min_id: SSSD never returns it.
			{name: "eve", keptHome: true},
			{name: "dave"},
			{name: "mallory"},
		})
	})
	t.Run("fully qualified names", func(t *testing.T) {
		fq := spec
		fq.IDMapping = false
		fq.FullyQualifiedNames = true
		fq.DefaultDomainSuffix = samba.Domain
		res := runJoin(t, ns, fq)
		assert.Contains(t, res.Stdout, "ssm-runas: restarted sssd")
		// The Run As value stays bare; SSSD answers with the qualified name,
		// the home stays /home/NAME, and sudoers names the qualified group.
		checkPeople(t, ns, []person{
			{name: "alice", resolves: true, uid: 10001, gid: 10000, sudo: []string{dbLine}},
			{name: "bob", resolves: true, uid: 10002, gid: 10000, sudo: []string{adminsLine}},
			{name: "carol", keptHome: true},
			{name: "dave"},
			{name: "mallory"},
		}, "@"+samba.Domain)
		dropIn := ns.MustRun(time.Minute, "cat", "/etc/sudoers.d/"+hostjoin.SudoersFile("Linux-Admins"))
		assert.Contains(t, dropIn.Stdout, "%linux-admins@"+samba.Domain+" ALL=(ALL) NOPASSWD: ALL")
	})
	t.Logf("whole test took %s", time.Since(start).Round(time.Second))
}

// runJoin renders the script for spec, runs it as the association would,
// and checks it succeeded without showing the password.
func runJoin(t *testing.T, ns *sambaad.Namespace, spec hostjoin.Spec, bashArgs ...string) sambaad.Result {
	t.Helper()
	script, err := hostjoin.Script(spec)
	require.NoError(t, err)
	res := ns.RunScript(3*time.Minute, "join.sh", script, bashArgs...)
	require.Equal(t, 0, res.Code, "the join script failed:\n%s", res.Output())
	noPasswords(t, ns, script, res)
	cc := ns.Run(time.Minute, "sssctl", "config-check")
	assert.Equal(t, 0, cc.Code, "sssctl config-check on the written sssd.conf:\n%s", cc.Output())
	mode := ns.MustRun(time.Minute, "stat", "-c", "%a %U", "/etc/sssd/sssd.conf")
	assert.Equal(t, "600 root\n", mode.Stdout)
	return res
}

// refusedJoin runs the script, with extraPath (if any) first on PATH, and
// checks it failed before writing anything: no file of the host changed and
// no computer account was created.
func refusedJoin(t *testing.T, ns *sambaad.Namespace, spec hostjoin.Spec, extraPath string) sambaad.Result {
	t.Helper()
	script, err := hostjoin.Script(spec)
	require.NoError(t, err)
	p := filepath.Join(ns.Dir(), "refused.sh")
	require.NoError(t, os.WriteFile(p, script, 0o700))
	marker := filepath.Join(ns.Dir(), "before-refused-run")
	ns.MustRun(time.Minute, "touch", marker)
	res := ns.Run(3*time.Minute, "bash", "-c", `PATH="${1:+$1:}$PATH" exec bash "$2"`, "refused", extraPath, p)
	assert.NotEqual(t, 0, res.Code, "the script must fail:\n%s", res.Output())
	assert.NotContains(t, res.Stdout, "ssm-runas: wrote")
	written := ns.MustRun(time.Minute, "find", "/etc", "/home", "/usr/local", "/var/lib/sss", "-newer", marker)
	assert.Empty(t, written.Stdout, "a refused run writes nothing")
	assert.NotEqual(t, 0, ns.Run(time.Minute, "samba-tool", "computer", "show", "LINUX1").Code, "no computer account")
	noPasswords(t, ns, script, res)
	return res
}

// noPasswords checks that neither the join account's password nor the
// administrator's is in the script, in what it printed, or in any file it
// or the daemons it started may write (configuration, logs, caches).
func noPasswords(t *testing.T, ns *sambaad.Namespace, script []byte, res sambaad.Result) {
	t.Helper()
	for _, password := range []string{joinPassword, samba.AdminPassword} {
		assert.NotContains(t, string(script), password)
		assert.NotContains(t, res.Output(), password, "a password must never be output")
	}
	found := ns.Run(time.Minute, "grep", "-rlF", "-D", "skip", "-e", joinPassword, "-e", samba.AdminPassword,
		"/etc", "/var/log", "/var/lib/sss", "/home", "/run", ns.SystemctlLog())
	assert.Equal(t, 1, found.Code, "a password is in these files: %s", found.Output())
}

// sid is the objectSid of a user or group.
func sid(t *testing.T, ns *sambaad.Namespace, kind, name string) string {
	t.Helper()
	res := ns.MustRun(time.Minute, "samba-tool", kind, "show", name, "--attributes=objectSid")
	m := regexp.MustCompile(`(?m)^objectSid: (S-[0-9-]+)$`).FindStringSubmatch(res.Stdout)
	require.NotNil(t, m, "objectSid of %s: %s", name, res.Stdout)
	return m[1]
}

// owner is the owner SID of a directory object's security descriptor.
func owner(t *testing.T, ns *sambaad.Namespace, dn string) string {
	t.Helper()
	res := ns.MustRun(time.Minute, "samba-tool", "dsacl", "get", "--objectdn="+dn)
	m := regexp.MustCompile(`O:(S-[0-9-]+|[A-Z]{2})`).FindStringSubmatch(res.Stdout)
	require.NotNil(t, m, "security descriptor of %s: %s", dn, res.Stdout)
	return m[1]
}

// hostPackageState is what apt and dpkg keep on the machine itself (outside
// the namespaces): the dpkg database and apt's sources.
func hostPackageState(t *testing.T) map[string]string {
	t.Helper()
	state := map[string]string{}
	files, err := filepath.Glob("/etc/apt/sources.list.d/*")
	require.NoError(t, err)
	for _, f := range append(files, "/var/lib/dpkg/status", "/etc/apt/sources.list") {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		state[f] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return state
}

var (
	uidRe      = regexp.MustCompile(`^uid=(\d+)\(([^)]*)\) gid=(\d+)\(`)
	sudoRuleRe = regexp.MustCompile(`may run the following commands on [^:]+:\n((?:    .*\n?)*)`)
)

// checkPeople runs what the SSM agent runs for each Run As value, as root
// inside the namespace, and checks homes and sudo rules. SSSD reports each
// name with qualified appended (empty for bare names).
func checkPeople(t *testing.T, ns *sambaad.Namespace, people []person, qualified ...string) {
	t.Helper()
	suffix := strings.Join(qualified, "")
	for _, p := range people {
		t.Run(p.name, func(t *testing.T) {
			uid := ns.Run(time.Minute, "sh", "-c", "id -u "+p.name)
			gid := ns.Run(time.Minute, "id", "-g", p.name)
			id := ns.Run(time.Minute, "id", p.name)
			home := ns.Run(time.Minute, "stat", "-c", "%u %g %a", "/home/"+p.name)
			sudo := ns.Run(time.Minute, "sudo", "-l", "-U", p.name)
			if !p.resolves {
				assert.NotEqual(t, 0, uid.Code, "id -u %s must fail: %s", p.name, uid.Output())
				assert.NotEqual(t, 0, gid.Code, "id -g %s must fail", p.name)
				assert.NotEqual(t, 0, id.Code, "id %s must fail", p.name)
				assert.Contains(t, id.Stderr, "no such user")
				if p.keptHome {
					require.Equal(t, 0, home.Code, "the earlier home of %s stays: %s", p.name, home.Output())
					owner := strings.Fields(home.Stdout)[0]
					assert.NotEqual(t, 0, ns.Run(time.Minute, "getent", "passwd", owner).Code, "left with its old owner %s", owner)
				} else {
					assert.NotEqual(t, 0, home.Code, "no home for %s: %s", p.name, home.Stdout)
				}
				assert.NotEqual(t, 0, sudo.Code, "sudo -l -U %s must not know the user: %s", p.name, sudo.Output())
				return
			}
			require.Equal(t, 0, uid.Code, "sh -c \"id -u %s\": %s", p.name, uid.Output())
			require.Equal(t, 0, gid.Code, "id -g %s: %s", p.name, gid.Output())
			require.Equal(t, 0, id.Code, "id %s: %s", p.name, id.Output())
			u, err := strconv.Atoi(strings.TrimSpace(uid.Stdout))
			require.NoError(t, err)
			g, err := strconv.Atoi(strings.TrimSpace(gid.Stdout))
			require.NoError(t, err)
			assert.GreaterOrEqual(t, u, directory.MinID, "uid must be positive and above local accounts")
			assert.GreaterOrEqual(t, g, directory.MinID, "gid must be positive and above local accounts")
			if p.uid != 0 {
				assert.Equal(t, p.uid, u, "uid from uidNumber")
				assert.Equal(t, p.gid, g, "gid from gidNumber")
			}
			m := uidRe.FindStringSubmatch(id.Stdout)
			require.NotNil(t, m, "id output: %s", id.Stdout)
			assert.Equal(t, strconv.Itoa(u), m[1])
			assert.Equal(t, p.name+suffix, m[2], "SSSD reports the lower-cased name")

			passwd := ns.MustRun(time.Minute, "getent", "passwd", p.name)
			fields := strings.Split(strings.TrimSpace(passwd.Stdout), ":")
			require.Len(t, fields, 7, passwd.Stdout)
			assert.Equal(t, p.name+suffix, fields[0])
			assert.Equal(t, "/home/"+p.name, fields[5], "HOME as the SSM agent sets it")

			require.Equal(t, 0, home.Code, "home of %s: %s", p.name, home.Output())
			assert.Equal(t, fmt.Sprintf("%d %d 700\n", u, g), home.Stdout, "home owned by the person, private")

			require.Equal(t, 0, sudo.Code, "sudo -l -U %s: %s", p.name, sudo.Output())
			var rules []string
			if m := sudoRuleRe.FindStringSubmatch(sudo.Stdout); m != nil {
				for _, line := range strings.Split(strings.TrimRight(m[1], "\n"), "\n") {
					rules = append(rules, strings.TrimSpace(line))
				}
			} else {
				assert.Contains(t, sudo.Stdout, "is not allowed to run sudo")
			}
			assert.ElementsMatch(t, p.sudo, rules, "sudo -l -U %s:\n%s", p.name, sudo.Stdout)
		})
	}
}
