package settings

import (
	"sort"
	"strings"
)

// RoleDecision is what the precedence rule gives a person from the role
// groups they are a member of.
type RoleDecision struct {
	// Winner is the role whose Linux user the person gets; nil when they are
	// in no role group.
	Winner *Role
	// Others are the person's other roles, highest precedence first.
	Others []Role
	// Conflict is set when another role has the winner's precedence and a
	// different Linux user. Validation refuses equal precedences, so only
	// roles that skipped it get here; the value is then never guessed.
	Conflict *Role
}

// DecideRole is the one precedence rule every reader applies (the stack's
// explanation, the attribute sync, the audit): of the roles a person is a
// member of, the one with the highest precedence (1) wins, and every person
// resolves to exactly one value or to a named conflict.
func DecideRole(memberOf []Role) RoleDecision {
	if len(memberOf) == 0 {
		return RoleDecision{}
	}
	rs := append([]Role(nil), memberOf...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Precedence < rs[j].Precedence })
	d := RoleDecision{Winner: &rs[0], Others: rs[1:]}
	for i := range d.Others {
		o := &d.Others[i]
		if o.Precedence == d.Winner.Precedence && o.LinuxUser != d.Winner.LinuxUser {
			d.Conflict = o
			break
		}
	}
	return d
}

// RolesOf returns the configured roles whose Entra group is one of groups,
// highest precedence first. Group display names compare without regard to
// case, as Entra and Identity Center compare them.
func (c *Config) RolesOf(groups []string) []Role {
	var out []Role
	for _, r := range c.RolesByPrecedence() {
		for _, g := range groups {
			if strings.EqualFold(g, r.EntraGroup) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}
