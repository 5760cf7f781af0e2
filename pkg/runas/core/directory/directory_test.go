package directory_test

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
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

func seed() directory.Seed {
	return directory.Seed{
		Domain: "corp.example.com",
		OUs:    []string{"OU=Servers", "OU=Linux,OU=Servers"},
		Users: []directory.User{
			{Name: "Alice", GivenName: "Alice", Surname: "Smith", POSIX: &directory.POSIX{UID: 10001, GID: 10000}},
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
	}
}

func TestSambaScript(t *testing.T) {
	script, err := directory.SambaScript(seed())
	require.NoError(t, err)
	golden.Text(t, "seed.sh", script)
	assert.NotContains(t, string(script), "{{")

	shellcheck := testtools.Require(t, "shellcheck", "apt-get install -y shellcheck")
	p := filepath.Join(t.TempDir(), "seed.sh")
	require.NoError(t, os.WriteFile(p, script, 0o755))
	out, err := exec.Command(shellcheck, "--shell=bash", "--severity=style", p).CombinedOutput()
	assert.NoError(t, err, "shellcheck:\n%s", out)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*directory.Seed)
		want string
	}{
		{"upper-case domain", func(s *directory.Seed) { s.Domain = "Corp.Example.com" },
			`domain "Corp.Example.com": must be a DNS name in lower case`},
		{"child OU before its parent", func(s *directory.Seed) { s.OUs = []string{"OU=Linux,OU=Servers"} },
			`ou "OU=Linux,OU=Servers": its parent OU=Servers must be listed before it`},
		{"name with a shell metacharacter", func(s *directory.Seed) { s.Users[2].Name = "carol;id" },
			`user "carol;id": must be a sAMAccountName of at most 20 letters, digits, _ . -`},
		{"name no Run As can carry", func(s *directory.Seed) { s.Users[2].Name = "Carol.Jones" },
			`user "Carol.Jones": its Linux name "carol.jones": must match ^[a-z_][a-z0-9_-]{0,31}$`},
		{"root", func(s *directory.Seed) { s.Users[2].Name = "Root" },
			`user "Root": its Linux name "root": root is not allowed as a Run As user`},
		{"uid zero", func(s *directory.Seed) { s.Users[0].POSIX.UID = 0 },
			`user "Alice": uid 0 and gid 10000 must be 1000 or more (positive, and above local accounts)`},
		{"gid of a local group", func(s *directory.Seed) { s.Groups[0].GID = 100 },
			`group "Linux-Users": gid 100 must be 1000 or more`},
		{"same name in another case", func(s *directory.Seed) { s.Groups[1].Name = "ALICE" },
			`group "ALICE": the name is already used by user "Alice" (AD names compare without regard to case)`},
		{"unknown member", func(s *directory.Seed) { s.Groups[1].Members = []string{"mallory"} },
			`group "SRE": member "mallory" is neither a user nor a group of the seed`},
		{"member of itself", func(s *directory.Seed) { s.Groups[1].Members = []string{"sre"} },
			`group "SRE": cannot be a member of itself`},
		{"user in an OU not seeded", func(s *directory.Seed) { s.Users[2].OU = "OU=People" },
			`user "carol": ou "OU=People" must be one of the seed's OUs or a container (CN=...)`},
		{"group with a separator", func(s *directory.Seed) { s.Groups[1].Name = "SRE,admins" },
			`group "SRE,admins": must be an AD group name of at most 64 letters, digits, spaces, _ . -`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := seed()
			tc.edit(&s)
			err := s.Validate()
			require.Error(t, err)
			assert.Contains(t, strings.Split(err.Error(), "\n"), tc.want)
			_, err = directory.SambaScript(s)
			assert.ErrorContains(t, err, tc.want, "nothing is rendered from an invalid seed")
		})
	}
	assert.NoError(t, seed().Validate())
}

func TestUserNames(t *testing.T) {
	s := seed()
	assert.Equal(t, "alice", s.Users[0].LinuxName())
	assert.Equal(t, "/home/alice", s.Users[0].HomeOf(), "the default home is where the SSM agent points HOME")
	assert.Equal(t, "/home/bob", s.Users[1].HomeOf())
	assert.Equal(t, "DC=corp,DC=example,DC=com", s.BaseDN())
}

func ExampleSambaScript() {
	script, err := directory.SambaScript(directory.Seed{
		Domain: "corp.example.com",
		Users:  []directory.User{{Name: "Alice", POSIX: &directory.POSIX{UID: 10001, GID: 10000}}},
		Groups: []directory.Group{{Name: "Linux-Users", GID: 10000, Members: []string{"Alice"}}},
	})
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, "ensure_") && !strings.Contains(line, "()") {
			fmt.Println(line)
		}
	}
	// Output:
	// ensure_group 'Linux-Users' '--gid-number=10000' '--nis-domain=corp'
	// ensure_user 'Alice' '--nis-domain=corp' '--uid-number=10001' '--gid-number=10000' '--unix-home=/home/alice' '--login-shell=/bin/bash'
	// ensure_members 'Linux-Users' 'Alice'
}
