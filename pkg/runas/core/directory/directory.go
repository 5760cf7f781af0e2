package directory

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// MinID is the lowest uid and gid the joined hosts accept from the
// directory (SSSD's min_id there): local accounts keep the IDs below it, and
// 0 would be root, which Session Manager refuses.
const MinID = 1000

// MaxSAMAccountNameLength is the longest user logon name (pre-Windows 2000)
// Active Directory accepts.
//
// https://learn.microsoft.com/en-us/windows/win32/adschema/a-samaccountname
const MaxSAMAccountNameLength = 20

// Seed is what a domain holds for the per-user model to be proved.
type Seed struct {
	// Domain is required: the domain's DNS name, e.g. corp.example.com.
	Domain string
	// OUs are optional: organizational units to create, as distinguished
	// names relative to the domain (OU=Linux,OU=Servers), parents first.
	OUs []string
	// Users are the accounts people land as.
	Users []User
	// Groups are created after the users; their members may be users or
	// other groups of the seed.
	Groups []Group
}

// User is one directory account.
type User struct {
	// Name is required: the sAMAccountName, in any case (AD keeps the case;
	// hosts resolve it from the lower-cased Run As value).
	Name string
	// GivenName and Surname are optional.
	GivenName, Surname string
	// OU is optional: a distinguished name relative to the domain; default
	// the Users container.
	OU string
	// Disabled creates the account disabled.
	Disabled bool
	// POSIX is optional: the RFC2307 attributes. Without them the account
	// resolves on hosts only with ID mapping.
	POSIX *POSIX
}

// POSIX are a user's RFC2307 attributes.
type POSIX struct {
	// UID is required: uidNumber, at least MinID.
	UID int
	// GID is required: gidNumber of the primary group, at least MinID.
	GID int
	// Home is optional, default /home/<lower-case name>.
	Home string
	// Shell is optional, default /bin/bash.
	Shell string
}

// Group is one security group.
type Group struct {
	// Name is required: the group's name (sAMAccountName).
	Name string
	// GID is optional: the RFC2307 gidNumber; 0 leaves it unset.
	GID int
	// Members are optional: names of users or groups of the seed.
	Members []string
}

// Defaults of POSIX attributes.
const (
	DefaultShell = "/bin/bash"
	homeRoot     = "/home/"
)

var (
	samAccountNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	relativeDNRe     = regexp.MustCompile(`^(OU|CN)=[A-Za-z0-9][A-Za-z0-9 _.-]*(,(OU|CN)=[A-Za-z0-9][A-Za-z0-9 _.-]*)*$`)
	domainRe         = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)
	nameTextRe       = regexp.MustCompile(`^[A-Za-z0-9 .'-]{0,64}$`)
)

// HomeOf is the user's home directory: the RFC2307 one, else /home/<name>.
func (u User) HomeOf() string {
	if u.POSIX != nil && u.POSIX.Home != "" {
		return u.POSIX.Home
	}
	return homeRoot + strings.ToLower(u.Name)
}

// LinuxName is the name the user has on joined hosts and in Run As tags.
func (u User) LinuxName() string { return strings.ToLower(u.Name) }

// BaseDN is the domain's distinguished name.
func (s Seed) BaseDN() string { return settings.BaseDN(s.Domain) }

// Validate returns every problem of the seed, or nil.
func (s Seed) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !domainRe.MatchString(s.Domain) {
		add("domain %q: must be a DNS name in lower case", s.Domain)
	}
	ous := map[string]bool{}
	for _, ou := range s.OUs {
		if !relativeDNRe.MatchString(ou) || !strings.HasPrefix(ou, "OU=") {
			add("ou %q: must be a relative distinguished name such as OU=Linux,OU=Servers", ou)
		}
		if _, parent, nested := strings.Cut(ou, ","); nested && !ous[parent] && strings.HasPrefix(parent, "OU=") {
			add("ou %q: its parent %s must be listed before it", ou, parent)
		}
		ous[ou] = true
	}
	names := map[string]string{}
	claim := func(kind, name string) {
		key := strings.ToLower(name)
		if other, ok := names[key]; ok {
			add("%s %q: the name is already used by %s (AD names compare without regard to case)", kind, name, other)
			return
		}
		names[key] = fmt.Sprintf("%s %q", kind, name)
	}
	for _, u := range s.Users {
		if len(u.Name) > MaxSAMAccountNameLength || !samAccountNameRe.MatchString(u.Name) {
			add("user %q: must be a sAMAccountName of at most %d letters, digits, _ . -", u.Name, MaxSAMAccountNameLength)
		} else if err := username.Validate(u.LinuxName()); err != nil {
			add("user %q: its Linux name %q: %w", u.Name, u.LinuxName(), err)
		}
		claim("user", u.Name)
		if !nameTextRe.MatchString(u.GivenName) || !nameTextRe.MatchString(u.Surname) {
			add("user %q: given name and surname take letters, digits, space and . ' - only", u.Name)
		}
		if u.OU != "" && (!relativeDNRe.MatchString(u.OU) || (strings.HasPrefix(u.OU, "OU=") && !ous[u.OU])) {
			add("user %q: ou %q must be one of the seed's OUs or a container (CN=...)", u.Name, u.OU)
		}
		if p := u.POSIX; p != nil {
			if p.UID < MinID || p.GID < MinID {
				add("user %q: uid %d and gid %d must be %d or more (positive, and above local accounts)", u.Name, p.UID, p.GID, MinID)
			}
			if p.Home != "" && !settings.ValidShell(p.Home) {
				add("user %q: home %q must be an absolute path of plain characters", u.Name, p.Home)
			}
			if p.Shell != "" && !settings.ValidShell(p.Shell) {
				add("user %q: shell %q must be an absolute path such as /bin/bash", u.Name, p.Shell)
			}
		}
	}
	for _, g := range s.Groups {
		if !settings.ValidADGroupName(g.Name) {
			add("group %q: must be an AD group name of at most 64 letters, digits, spaces, _ . -", g.Name)
		}
		claim("group", g.Name)
		if g.GID != 0 && g.GID < MinID {
			add("group %q: gid %d must be %d or more", g.Name, g.GID, MinID)
		}
	}
	for _, g := range s.Groups {
		for _, m := range g.Members {
			switch _, ok := names[strings.ToLower(m)]; {
			case !ok:
				add("group %q: member %q is neither a user nor a group of the seed", g.Name, m)
			case strings.EqualFold(m, g.Name):
				add("group %q: cannot be a member of itself", g.Name)
			}
		}
	}
	return errors.Join(errs...)
}
