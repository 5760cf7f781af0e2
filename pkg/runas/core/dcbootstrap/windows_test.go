package dcbootstrap_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/psparse"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

func domain() dcbootstrap.Domain {
	return dcbootstrap.Domain{
		Name:            "corp.example.com",
		NetBIOS:         "CORP",
		Region:          "eu-west-1",
		AdminSecretARN:  "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ssm-runas/dc/admin-AbCdEf",
		JoinSecretARN:   "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ssm-runas/dc/join-GhIjKl",
		JoinUser:        "ssm-runas-join",
		JoinOU:          "OU=LinuxHosts,OU=Servers",
		StatusParameter: "/runas/domain-controller/status",
		Seed: directory.Seed{
			Domain: "corp.example.com",
			OUs:    []string{"OU=Servers", "OU=LinuxHosts,OU=Servers", "OU=People"},
			Users: []directory.User{
				{Name: "Alice", GivenName: "Alice", Surname: "O'Brien", OU: "OU=People", POSIX: &directory.POSIX{UID: 10001, GID: 10000}},
				{Name: "bob", POSIX: &directory.POSIX{UID: 10002, GID: 10000, Home: "/home/bob", Shell: "/bin/zsh"}},
				{Name: "carol"},
				{Name: "Dave", Disabled: true, POSIX: &directory.POSIX{UID: 10004, GID: 10000}},
			},
			Groups: []directory.Group{
				{Name: "Linux-Users", GID: 10000, Members: []string{"Alice", "bob", "carol", "Dave"}},
				{Name: "SRE", Members: []string{"bob"}},
				{Name: "Linux-Admins", GID: 10001, Members: []string{"SRE", "Dave"}},
				{Name: "DB Operators", GID: 10002, Members: []string{"Alice"}},
			},
		},
	}
}

// configs are the renderings the tests parse: the full seed, ID mapping
// (no RFC2307 attributes), and a minimal domain.
func configs() map[string]dcbootstrap.Domain {
	idMapping := domain()
	idMapping.Seed.Users = append([]directory.User(nil), idMapping.Seed.Users...)
	for i := range idMapping.Seed.Users {
		idMapping.Seed.Users[i].POSIX = nil
	}
	idMapping.Seed.Groups = []directory.Group{{Name: "Linux-Users", Members: []string{"Alice", "bob", "carol", "Dave"}}}

	minimal := domain()
	minimal.Name, minimal.NetBIOS = "ad.example.org", "AD"
	minimal.JoinOU = "OU=Linux"
	minimal.Seed = directory.Seed{
		Domain: "ad.example.org",
		OUs:    []string{"OU=Linux"},
		Users:  []directory.User{{Name: "alice"}},
		Groups: []directory.Group{{Name: "linux", Members: []string{"alice"}}},
	}
	return map[string]dcbootstrap.Domain{"rfc2307": domain(), "idmapping": idMapping, "minimal": minimal}
}

func TestWindowsUserData(t *testing.T) {
	for name, d := range configs() {
		t.Run(name, func(t *testing.T) {
			ud, err := dcbootstrap.WindowsUserData(d)
			require.NoError(t, err)
			golden.Text(t, "userdata.txt", ud)
			s := string(ud)
			assert.True(t, strings.HasPrefix(s, "<powershell>\n"))
			assert.True(t, strings.HasSuffix(s, "</powershell>\n<persist>true</persist>\n"))
			assert.NotContains(t, s, "${")
			assert.NotContains(t, s, "{{")
			assert.LessOrEqual(t, len(ud), dcbootstrap.MaxUserDataBytes)
			// Both phases and the flag are in the one script.
			for _, want := range []string{"Install-ADDSForest", "-SafeModeAdministratorPassword $password", "-InstallDns",
				"Set-Phase 'seed'", "Set-Phase 'complete'", "Get-SECSecretValue", "Write-SSMParameter"} {
				assert.Contains(t, s, want)
			}
			for _, status := range []string{dcbootstrap.StatusInstalling, dcbootstrap.StatusPromoting, dcbootstrap.StatusSeeding,
				dcbootstrap.StatusComplete, dcbootstrap.StatusFailed} {
				assert.Contains(t, s, "Set-Status '"+status+"'")
			}
		})
	}
}

// TestWindowsScriptParses parses every rendering with the PowerShell
// grammar: no ERROR or MISSING node, every typed value is the content of a
// single-quoted string, and no value sits in an expandable string.
func TestWindowsScriptParses(t *testing.T) {
	names := []string{}
	var scripts [][]byte
	all := configs()
	for name, d := range all {
		s, err := dcbootstrap.WindowsScript(d)
		require.NoError(t, err)
		names = append(names, name)
		scripts = append(scripts, s)
	}
	results := psparse.Require(t, scripts...)
	for i, r := range results {
		d := all[names[i]]
		t.Run(names[i], func(t *testing.T) {
			assert.Empty(t, r.Problems, "%s", r.Clean())
			for _, v := range values(d) {
				assert.True(t, r.Literal(v), "value %q is not a single-quoted string of the script", v)
				for _, e := range r.ExpandableStrings {
					assert.NotContains(t, e, v, "value %q is in an expandable string", v)
				}
			}
			for _, v := range r.Variables {
				assert.False(t, strings.HasPrefix(v, "${"), "braced variable %s", v)
			}
		})
	}
}

// values are the typed inputs as the script must carry them.
func values(d dcbootstrap.Domain) []string {
	base := d.Seed.BaseDN()
	v := []string{d.Name, d.NetBIOS, d.Region, d.AdminSecretARN, d.JoinSecretARN, d.JoinUser, d.JoinOUDN(), d.StatusParameter}
	for _, u := range d.Seed.Users {
		v = append(v, u.Name)
		if u.GivenName != "" {
			v = append(v, u.GivenName)
		}
		if u.Surname != "" {
			v = append(v, u.Surname)
		}
		if u.POSIX != nil {
			v = append(v, u.HomeOf())
		}
	}
	for _, g := range d.Seed.Groups {
		v = append(v, g.Name)
	}
	_ = base
	return v
}

// TestHostileValues: quotes of every kind, $, backticks and template
// syntax in values stay literal text.
func TestHostileValues(t *testing.T) {
	d := domain()
	d.Seed.Users[0].Surname = "O'Br\u2019ien `$x $(whoami) {{.}} %s"
	_, err := dcbootstrap.WindowsScript(d)
	require.Error(t, err, "the seed refuses names with $ and braces")
	assert.Contains(t, err.Error(), `given name and surname take letters, digits, space and . ' - only`)

	d = domain()
	d.Seed.Users[0].Surname = "O'Brien-d'Arcy"
	s, err := dcbootstrap.WindowsScript(d)
	require.NoError(t, err)
	assert.Contains(t, string(s), "-Surname 'O''Brien-d''Arcy'")
	r := psparse.Require(t, s)[0]
	assert.Empty(t, r.Problems, "%s", r.Clean())
	assert.True(t, r.Literal("O'Brien-d'Arcy"))
}

func TestWindowsScriptRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		edit func(*dcbootstrap.Domain)
		want string
	}{
		{"netbios too long", func(d *dcbootstrap.Domain) { d.NetBIOS = "CORPORATIONEXAMPLE" }, `netbios name "CORPORATIONEXAMPLE": must be 1-15`},
		{"lower-case netbios", func(d *dcbootstrap.Domain) { d.NetBIOS = "corp" }, `netbios name "corp"`},
		{"domain other than the seed's", func(d *dcbootstrap.Domain) { d.Name = "other.example.com" }, `domain "other.example.com": must be the seed's domain "corp.example.com"`},
		{"secret name instead of ARN", func(d *dcbootstrap.Domain) { d.AdminSecretARN = "dc/admin" }, `admin secret "dc/admin": must be a Secrets Manager secret ARN`},
		{"join OU outside the seed", func(d *dcbootstrap.Domain) { d.JoinOU = "OU=Elsewhere" }, `join OU "OU=Elsewhere": must be one of the seed's OUs`},
		{"join user is a person", func(d *dcbootstrap.Domain) { d.JoinUser = "alice" }, `join user "alice": is also a user of the seed`},
		{"status parameter without slash", func(d *dcbootstrap.Domain) { d.StatusParameter = "status" }, `status parameter "status"`},
		{"reserved parameter prefix", func(d *dcbootstrap.Domain) { d.StatusParameter = "/ssm-runas/status" }, `status parameter "/ssm-runas/status": SSM refuses names that begin with aws or ssm`},
		{"bad seed", func(d *dcbootstrap.Domain) { d.Seed.Users[1].Name = "bob;id" }, `seed: user "bob;id"`},
		{"newline in a value", func(d *dcbootstrap.Domain) { d.Region = "eu-west-1\n" }, `region "eu-west-1\n"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := domain()
			tc.edit(&d)
			_, err := dcbootstrap.WindowsUserData(d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestUserDataLimit(t *testing.T) {
	d := domain()
	for i := 0; i < 400; i++ {
		d.Seed.Users = append(d.Seed.Users, directory.User{Name: "user" + strings.Repeat("x", 5) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	_, err := dcbootstrap.WindowsUserData(d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than the 16384 EC2 accepts")
}

// TestSeedDigestFollowsTheSeed: a changed seed changes the digest, so a
// completed controller applies it at the next boot.
func TestSeedDigestFollowsTheSeed(t *testing.T) {
	a, err := dcbootstrap.WindowsScript(domain())
	require.NoError(t, err)
	d := domain()
	d.Seed.Users = append(d.Seed.Users, directory.User{Name: "erin"})
	b, err := dcbootstrap.WindowsScript(d)
	require.NoError(t, err)
	assert.NotEqual(t, digestLine(t, a), digestLine(t, b))
}

func digestLine(t *testing.T, script []byte) string {
	t.Helper()
	var found []string
	for _, l := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(l, "$SeedDigest = ") {
			found = append(found, l)
		}
	}
	require.Len(t, found, 1, "one $SeedDigest line")
	return found[0]
}

// TestPhaseFlagBeforePromotion: Install-ADDSForest restarts the instance,
// so the flag must say seed before it runs, and nothing the second phase
// needs may follow it in the first.
func TestPhaseFlagBeforePromotion(t *testing.T) {
	s, err := dcbootstrap.WindowsScript(domain())
	require.NoError(t, err)
	script := string(s)
	start := strings.Index(script, "function Invoke-Promotion {")
	require.GreaterOrEqual(t, start, 0)
	body := script[start : start+strings.Index(script[start:], "\n}\n")]
	flag := strings.Index(body, "Set-Phase 'seed'")
	promote := strings.Index(body, "Install-ADDSForest -DomainName")
	require.Greater(t, flag, 0)
	require.Greater(t, promote, 0)
	assert.Less(t, flag, promote, "the flag is set before the promotion restarts the instance")
	assert.NotContains(t, body[promote:], "Add-Seed", "the seed never runs in the promotion's run")
	main := script[strings.LastIndex(script, "\ntry {"):]
	assert.Contains(t, main, "Invoke-Promotion\n        Write-Log 'promotion started; the instance restarts'\n        exit 0",
		"the first phase ends the run")
}

// TestSecretsAreNeverLogged: no log line or status names a variable that
// holds a secret's value.
func TestSecretsAreNeverLogged(t *testing.T) {
	s, err := dcbootstrap.WindowsScript(domain())
	require.NoError(t, err)
	for i, line := range strings.Split(string(s), "\n") {
		if strings.Contains(line, "Write-Log") || strings.Contains(line, "Set-Status") || strings.Contains(line, "throw") {
			for _, secret := range []string{"$password", "$joinPassword", "$join.", "$join ", "Read-Secret"} {
				assert.NotContains(t, line, secret, "line %d logs a secret: %s", i+1, line)
			}
		}
	}
	assert.Contains(t, string(s), "$password = ConvertTo-SecureString -String (Read-Secret $AdminSecretArn)", "the password is read at run time")
}
