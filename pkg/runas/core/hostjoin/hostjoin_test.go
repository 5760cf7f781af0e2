package hostjoin_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const secretARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-join-Ab12Cd"

func spec() hostjoin.Spec {
	return hostjoin.Spec{
		Domain: hostjoin.Domain{
			Name: "corp.example.com", Realm: "CORP.EXAMPLE.COM",
			DNSServers: []string{"10.20.0.10", "10.20.1.10"},
		},
		JoinOU:      "OU=Linux,OU=Servers,DC=corp,DC=example,DC=com",
		Credential:  hostjoin.Credential{SecretARN: secretARN},
		IDMapping:   true,
		Shell:       "/bin/bash",
		LoginGroups: []string{"Linux-Users"},
		Sudo: []settings.GroupSudo{
			{Group: "Linux-Admins", Rule: settings.Sudo{Commands: []string{"ALL"}, RunAs: "ALL", NoPassword: true}},
			{Group: "DB Operators", Rule: settings.Sudo{RunAs: "ALL", NoPassword: true, NoExec: true,
				Commands: []string{"/usr/bin/systemctl restart postgresql", "/usr/bin/journalctl --no-pager -u postgresql"}}},
		},
		InstallPackages: true,
	}
}

// variants are the configurations whose outputs differ in kind.
func variants() map[string]hostjoin.Spec {
	rfc2307 := spec()
	rfc2307.IDMapping = false
	rfc2307.Domain.Controllers = []string{"dc1.corp.example.com", "dc2.corp.example.com"}
	rfc2307.JoinOU = ""

	qualified := spec()
	qualified.FullyQualifiedNames = true
	qualified.DefaultDomainSuffix = "corp.example.com"

	local := spec()
	local.Credential = hostjoin.Credential{File: "/run/ssm-runas/join.json"}
	local.InstallPackages = false
	local.Sudo = nil
	return map[string]hostjoin.Spec{"id-mapping": spec(), "rfc2307": rfc2307, "qualified": qualified, "local": local}
}

func TestRenderedFiles(t *testing.T) {
	for name, s := range variants() {
		t.Run(name, func(t *testing.T) {
			script, err := hostjoin.Script(s)
			require.NoError(t, err)
			golden.Text(t, "join.sh", script)
			golden.Text(t, "sssd.conf", s.SSSDConf())
			golden.Text(t, "krb5.conf", s.Krb5Conf())
			golden.Text(t, "homes.sh", s.HomesScript())
			for _, r := range s.Sudo {
				golden.Text(t, hostjoin.SudoersFile(r.Group), s.Sudoers(r))
			}
			assert.NotContains(t, string(script), "{{")
		})
	}
	golden.Text(t, "homes.service", hostjoin.HomesService())
	golden.Text(t, "homes.timer", hostjoin.HomesTimer())
}

func TestShellcheck(t *testing.T) {
	shellcheck := testtools.Require(t, "shellcheck", "apt-get install -y shellcheck")
	dir := t.TempDir()
	for name, s := range variants() {
		script, err := hostjoin.Script(s)
		require.NoError(t, err)
		for file, text := range map[string][]byte{name + "-join.sh": script, name + "-homes.sh": s.HomesScript()} {
			p := filepath.Join(dir, file)
			require.NoError(t, os.WriteFile(p, text, 0o755))
			out, err := exec.Command(shellcheck, "--shell=bash", "--severity=style", p).CombinedOutput()
			assert.NoError(t, err, "shellcheck %s:\n%s", file, out)
		}
	}
}

func TestVisudoAcceptsEveryDropIn(t *testing.T) {
	visudo := testtools.Require(t, "visudo", "apt-get install -y sudo")
	dir := t.TempDir()
	for name, s := range variants() {
		for _, r := range s.Sudo {
			p := filepath.Join(dir, name+"-"+hostjoin.SudoersFile(r.Group))
			require.NoError(t, os.WriteFile(p, s.Sudoers(r), 0o440))
			out, err := exec.Command(visudo, "-cf", p).CombinedOutput()
			assert.NoError(t, err, "visudo -cf %s:\n%s", p, out)
		}
	}
	// The checker refuses what the script must refuse, so it is really checking.
	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("%db operators ALL=(ALL) ALL\n"), 0o440))
	assert.Error(t, exec.Command(visudo, "-cf", bad).Run(), "an unescaped space must not pass")
}

func TestSSSDConfigCheck(t *testing.T) {
	sssctl := testtools.Require(t, "sssctl", "apt-get install -y sssd-tools")
	for name, s := range variants() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "sssd.conf")
			require.NoError(t, os.WriteFile(p, s.SSSDConf(), 0o600))
			require.NoError(t, os.Mkdir(filepath.Join(dir, "conf.d"), 0o700))
			out, err := exec.Command(sssctl, "config-check", "--config="+p).CombinedOutput()
			assert.NoError(t, err, "sssctl config-check:\n%s", out)
			assert.Contains(t, string(out), "Issues identified by validators: 0")
		})
	}
	// A typo must fail, or the check above proves nothing.
	dir := t.TempDir()
	p := filepath.Join(dir, "sssd.conf")
	require.NoError(t, os.WriteFile(p, append(spec().SSSDConf(), "ldap_id_maping = True\n"...), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "conf.d"), 0o700))
	out, err := exec.Command(sssctl, "config-check", "--config="+p).CombinedOutput()
	assert.Error(t, err, "sssctl config-check must refuse an unknown option:\n%s", out)
}

func TestSudoersNameGroupsAsSSSDDoes(t *testing.T) {
	s := spec()
	assert.Equal(t, `%db\ operators`, s.GroupPrincipal("DB Operators"))
	s.FullyQualifiedNames = true
	assert.Equal(t, `%linux-admins@corp.example.com`, s.GroupPrincipal("Linux-Admins"))
	assert.Equal(t, "ssmrunas-ad-db_operators", hostjoin.SudoersFile("DB Operators"))
	assert.Equal(t, "ssmrunas-ad-sre_eu", hostjoin.SudoersFile("SRE.eu"), "sudo skips drop-ins whose names contain a dot")
}

func TestHomeGroupsJoinLoginAndSudoGroups(t *testing.T) {
	s := spec()
	s.LoginGroups = append(s.LoginGroups, "linux-admins")
	assert.Equal(t, []string{"db operators", "linux-admins", "linux-users"}, s.HomeGroups())
}

func TestValidateRefusesWhatWouldRunAsRoot(t *testing.T) {
	tests := []struct {
		name string
		edit func(*hostjoin.Spec)
		want string
	}{
		{"domain with a quote", func(s *hostjoin.Spec) { s.Domain.Name = "corp'.example.com" }, `domain "corp'.example.com": must be a DNS name in lower case`},
		{"dns server with a zone", func(s *hostjoin.Spec) { s.Domain.DNSServers = []string{"fe80::1%$(id)"} }, `dns server "fe80::1%$(id)": must be an IP address without a zone`},
		{"realm in lower case", func(s *hostjoin.Spec) { s.Domain.Realm = "corp.example.com" }, `realm "corp.example.com": must be the domain name in upper case`},
		{"controller elsewhere", func(s *hostjoin.Spec) { s.Domain.Controllers = []string{"dc1.evil.example"} }, `controller "dc1.evil.example": must be a host name inside corp.example.com`},
		{"OU with a command", func(s *hostjoin.Spec) { s.JoinOU = "OU=$(id),DC=corp" }, `join OU "OU=$(id),DC=corp": must be a distinguished name of plain characters`},
		{"two credentials", func(s *hostjoin.Spec) { s.Credential.File = "/tmp/x" }, `credential: set exactly one of the secret ARN and the file`},
		{"secret of another service", func(s *hostjoin.Spec) { s.Credential.SecretARN = "arn:aws:ssm:eu-west-1:111111111111:parameter/x" }, `must be a Secrets Manager secret ARN`},
		{"suffix of the UPN domain", func(s *hostjoin.Spec) { s.FullyQualifiedNames = true; s.DefaultDomainSuffix = "example.com" }, `default domain suffix "example.com": must be corp.example.com, or bare Run As names do not resolve`},
		{"sudo command with a separator", func(s *hostjoin.Spec) { s.Sudo[0].Rule.Commands = []string{"/bin/ls, /bin/sh"} }, `sudo group "Linux-Admins": sudo[0].rule.commands[0] "/bin/ls, /bin/sh": must be ALL, or an absolute path`},
		{"group with a newline", func(s *hostjoin.Spec) { s.LoginGroups = []string{"a\nb"} }, `login group "a\nb": must be an AD group name`},
		{"two groups, one drop-in", func(s *hostjoin.Spec) { s.Sudo[1].Group = "linux admins"; s.Sudo[0].Group = "Linux_Admins" }, `sudo group "linux admins": its drop-in ssmrunas-ad-linux_admins is also "Linux_Admins"'s`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := spec()
			tc.edit(&s)
			_, err := hostjoin.Script(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestScriptKeepsThePasswordInPipes(t *testing.T) {
	script, err := hostjoin.Script(spec())
	require.NoError(t, err)
	text := string(script)
	assert.Contains(t, text, "read_join_secret | jq -j '.awsSeamlessDomainPassword' | adcli join")
	assert.Contains(t, text, "--stdin-password")
	assert.Contains(t, text, "{ set +x; } 2>/dev/null")
	assert.NotContains(t, text, "password=", "no variable holds the password")
	assert.Contains(t, text, "aws secretsmanager get-secret-value --region 'eu-west-1' --secret-id '"+secretARN+"'")
}

// TestScriptChecksBeforeWriting: every check that can refuse a host comes
// before the first file the script writes (the Samba test runs the
// refusals; this keeps the order visible in every variant).
func TestScriptChecksBeforeWriting(t *testing.T) {
	for name, s := range variants() {
		t.Run(name, func(t *testing.T) {
			script, err := hostjoin.Script(s)
			require.NoError(t, err)
			text := string(script)
			firstWrite := -1
			for _, prefix := range []string{"\ninstall -d ", "\ninstall_file ", "\ninstall_sudoers ", "\nmkdir "} {
				if i := strings.Index(text, prefix); i >= 0 && (firstWrite < 0 || i < firstWrite) {
					firstWrite = i
				}
			}
			require.Positive(t, firstWrite, "the script writes files")
			for _, check := range []string{
				`fail "SSSD $sssd_version is too old: 2.7 or later is needed"`,
				"adcli testjoin",
				"fail \"cannot find a domain controller of corp.example.com",
				"read_join_secret >/dev/null ||\n    fail \"cannot read ",
				"must be JSON with awsSeamlessDomainUsername and awsSeamlessDomainPassword\"",
			} {
				i := strings.Index(text, check)
				require.GreaterOrEqual(t, i, 0, "the script has %q", check)
				assert.Less(t, i, firstWrite, "%q comes before the first write", check)
			}
		})
	}
}

// TestInstallPackagesPicksThePackageManager runs the script's own
// install_packages function with only recording stand-ins of the package
// managers on PATH: no dnf, yum or RPM repository exists on this machine
// (the Samba test runs the apt branch for real). Amazon Linux 2023 and
// RHEL 9 have dnf (and a yum alias), Amazon Linux 2 only yum, Debian and
// Ubuntu apt-get.
func TestInstallPackagesPicksThePackageManager(t *testing.T) {
	script, err := hostjoin.Script(spec())
	require.NoError(t, err)
	text := string(script)
	start := strings.Index(text, "install_packages() {\n")
	require.GreaterOrEqual(t, start, 0)
	end := strings.Index(text[start:], "\n}\n")
	require.Positive(t, end)
	function := text[start : start+end+3]

	rpm := strings.Join(hostjoin.RPMPackages, " ")
	deb := strings.Join(hostjoin.DebPackages, " ")
	tests := []struct {
		name     string
		managers []string
		want     string
	}{
		{"dnf (Amazon Linux 2023, RHEL 9)", []string{"dnf", "yum"}, "dnf install -y " + rpm + "\n"},
		{"yum (Amazon Linux 2)", []string{"yum"}, "yum install -y " + rpm + "\n"},
		{"apt-get (Debian, Ubuntu)", []string{"apt-get"}, "apt-get update -q\napt-get install -y -q " + deb + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, m := range tc.managers {
				require.NoError(t, os.WriteFile(filepath.Join(dir, m), []byte("#!/bin/bash\necho \"${0##*/} $*\" >>\"$CALLS\"\n"), 0o755))
			}
			calls := filepath.Join(dir, "calls")
			cmd := exec.Command("/bin/bash", "-c", "set -euo pipefail\nfail() { echo \"fail: $*\" >&2; exit 1; }\n"+function+"install_packages\n")
			cmd.Env = []string{"PATH=" + dir, "CALLS=" + calls}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			got, err := os.ReadFile(calls)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
	cmd := exec.Command("/bin/bash", "-c", "set -euo pipefail\nfail() { echo \"fail: $*\" >&2; exit 1; }\n"+function+"install_packages\n")
	cmd.Env = []string{"PATH=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	assert.Error(t, err)
	assert.Equal(t, "fail: no dnf, yum or apt-get: this distribution is not supported\n", string(out))
}

func TestFromSettings(t *testing.T) {
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	d, err := hostjoin.ExistingDomain(c.PerUser.Domain)
	require.NoError(t, err)
	s := hostjoin.FromSettings(c.PerUser, d, "")
	require.NoError(t, s.Validate())
	assert.Equal(t, c.PerUser.Domain.JoinSecretARN, s.Credential.SecretARN)
	assert.Equal(t, "eu-west-1", s.Credential.SecretRegion())
	assert.True(t, s.IDMapping)
	assert.True(t, s.InstallPackages, "the association installs what is missing")

	_, err = hostjoin.ExistingDomain(settings.ADDomain{FromDomainControllerStack: true})
	assert.ErrorContains(t, err, "domain controller stack")
}

func ExampleScript() {
	s := hostjoin.Spec{
		Domain:      hostjoin.Domain{Name: "corp.example.com", Realm: "CORP.EXAMPLE.COM"},
		Credential:  hostjoin.Credential{SecretARN: secretARN},
		IDMapping:   true,
		Shell:       "/bin/bash",
		LoginGroups: []string{"Linux-Users"},
	}
	script, err := hostjoin.Script(s)
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, "override_homedir") || strings.HasPrefix(line, "use_fully_qualified_names") {
			fmt.Println(line)
		}
	}
	// Output:
	// use_fully_qualified_names = False
	// override_homedir = /home/%u
}
