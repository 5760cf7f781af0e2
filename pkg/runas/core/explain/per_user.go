package explain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// ProvisionedValue is the value provisioning writes into Identity Center
// for a person whose directory attribute holds raw, with the rule that
// says why. The per-user models map the attribute with the expression
// ToLower([source], ) (entra.scim.mapping lowercase, which validation
// requires for them); a direct mapping copies the value as it is.
func ProvisionedValue(c *settings.Config, raw string) (string, string) {
	src := userSource(c)
	switch {
	case c.Entra == nil:
		return strings.ToLower(raw), fmt.Sprintf("%s %q, lower-cased by the provisioning mapping ToLower([%s], ) (entra is not managed here: the mapping must be that expression, see `runas entra map-attribute`)", src, raw, src)
	case c.Entra.SCIM.Mapping == settings.MappingLowercase:
		return strings.ToLower(raw), fmt.Sprintf("%s %q, lower-cased by the provisioning mapping ToLower([%s], ) into %s", src, raw, src, c.Entra.SCIM.TargetAttribute)
	default:
		return raw, fmt.Sprintf("%s %q, copied as it is by the direct provisioning mapping into %s", src, raw, c.Entra.SCIM.TargetAttribute)
	}
}

func userSource(c *settings.Config) string {
	if c.PerUser != nil && c.PerUser.UserSource != "" {
		return c.PerUser.UserSource
	}
	return settings.DefaultPerUserSourceAttribute
}

// checkUnique reports whether another person holds value. Hosts look names
// up without regard to case (SSSD case_sensitive = False), so Alice and
// alice are one account.
func checkUnique(value string, others []string, res *Result) bool {
	if others == nil {
		res.step("unique", "other people's values not given: `runas audit` checks that every assigned person's value is unique",
			"not checked")
		return false
	}
	for _, o := range others {
		if username.Account(o) == username.Account(value) {
			res.step("unique", fmt.Sprintf("another person holds %q: on every joined host both would be the same account", o),
				"shared OS identity")
			return true
		}
	}
	res.step("unique", fmt.Sprintf("none of the %d other values given is %q (compared without regard to case, as hosts look names up)", len(others), value),
		"unique")
	return false
}

// joinedHost explains how a joined host resolves user, following what the
// join association configures (hostjoin): bare names, or fully qualified
// names with the joined domain as default suffix; IDs from the SID or from
// RFC2307 attributes; homes at /home/NAME for members of the login and sudo
// groups. With hostUsers (the names `getent passwd` lists on a host) it
// checks user is among them; it returns false when it is not.
func joinedHost(p *settings.PerUser, user string, hostUsers []string, res *Result) bool {
	domain := p.Domain.Name
	if domain == "" {
		domain = "the domain controller stack's domain"
	}
	naming := "use_fully_qualified_names = False: the bare value is the account's name"
	resolved := user
	if p.FullyQualifiedNames {
		suffix := p.DefaultDomainSuffix
		if suffix == "" {
			suffix = domain
		}
		naming = "fully qualified names with default_domain_suffix " + suffix + ": the bare value resolves in the joined domain"
		resolved = user + "@" + suffix
	}
	ids := "uid and gid from the account's SID (ID mapping)"
	if !p.IDMappingEnabled() {
		ids = "uid and gid from uidNumber/gidNumber (RFC2307): an account without them does not resolve"
	}
	groups := slices.Clone(p.LoginGroups)
	for _, s := range p.Sudo {
		groups = append(groups, s.Group)
	}
	rule := fmt.Sprintf("a joined host (tag %s=%s) looks %q up in %s through SSSD, as the agent does with id: %s; %s; "+
		"disabled accounts do not resolve; HOME is /home/%s, created for members of %s",
		p.Hosts.TargetTagKey, p.Hosts.TargetTagValue, user, domain, naming, ids, user, strings.Join(groups, ", "))
	if hostUsers == nil {
		res.step("host", rule, fmt.Sprintf("resolves as %s when an enabled account with sAMAccountName %s (any case) exists", resolved, user))
		return true
	}
	if !slices.ContainsFunc(hostUsers, func(h string) bool { return strings.EqualFold(h, user) }) {
		res.step("host", rule+" (given host users: "+strings.Join(hostUsers, ", ")+")",
			"failed to start pty since RunAs user "+user+" does not exist")
		return false
	}
	res.step("host", rule+" (among the given host users)", resolved)
	return true
}
