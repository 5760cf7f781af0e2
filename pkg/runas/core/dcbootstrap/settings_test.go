package dcbootstrap_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestSeedOfTheExample(t *testing.T) {
	cfg, err := settings.Load("../../../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	seed := dcbootstrap.SeedOf(cfg.DomainController, cfg.PerUser.Shell)
	require.NoError(t, seed.Validate(), "a valid configuration gives a valid seed")
	assert.Equal(t, "corp.example.com", seed.Domain)
	assert.Equal(t, []string{"OU=Servers", "OU=LinuxHosts,OU=Servers", "OU=People"}, seed.OUs)
	assert.Equal(t, directory.User{Name: "Alice", GivenName: "Alice", Surname: "Smith", OU: "OU=People",
		POSIX: &directory.POSIX{UID: 10001, GID: 10000, Shell: "/bin/bash"}}, seed.Users[0])
	assert.True(t, seed.Users[3].Disabled)
	assert.Equal(t, directory.Group{Name: "Linux-Admins", GID: 10011, Members: []string{"SRE"}}, seed.Groups[2])

	d := cfg.DomainController
	d.Seed.Users[0].UID, d.Seed.Users[0].GID = 0, 0
	assert.Nil(t, dcbootstrap.SeedOf(d, "/bin/bash").Users[0].POSIX, "without IDs, no RFC2307 attributes")
}
