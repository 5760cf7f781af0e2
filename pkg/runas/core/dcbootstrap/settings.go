package dcbootstrap

import (
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// SeedOf is the directory seed of a validated domainController section:
// its OUs (with the join OU), groups and users, with RFC2307 attributes for
// the users that have uid and gid, and shell as the default login shell.
func SeedOf(d *settings.DomainController, shell string) directory.Seed {
	s := directory.Seed{Domain: d.Domain, OUs: d.SeedOUs()}
	for _, u := range d.Seed.Users {
		du := directory.User{Name: u.Name, GivenName: u.GivenName, Surname: u.Surname, OU: u.OU, Disabled: u.Disabled}
		if u.UID != 0 || u.GID != 0 {
			du.POSIX = &directory.POSIX{UID: u.UID, GID: u.GID, Home: u.Home, Shell: u.Shell}
			if du.POSIX.Shell == "" {
				du.POSIX.Shell = shell
			}
		}
		s.Users = append(s.Users, du)
	}
	for _, g := range d.Seed.Groups {
		s.Groups = append(s.Groups, directory.Group{Name: g.Name, GID: g.GID, Members: append([]string(nil), g.Members...)})
	}
	return s
}
