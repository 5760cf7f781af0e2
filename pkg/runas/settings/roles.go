package settings

import (
	"slices"
	"sort"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
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

// RoleUsers are the Linux users of every configured role, sorted: in the
// per-role model the only SSMSessionRunAs values a session may start with.
func (c *Config) RoleUsers() []string {
	var out []string
	for _, r := range c.Roles {
		if !slices.Contains(out, r.LinuxUser) {
			out = append(out, r.LinuxUser)
		}
	}
	sort.Strings(out)
	return out
}

// SessionDocumentNames are the documents besides SSM-SessionManagerRunShell
// that people may name at StartSession.
func (c *Config) SessionDocumentNames() []string {
	var out []string
	if ic := c.IdentityCenter; ic != nil {
		for _, d := range ic.AllowedSessionDocuments {
			out = append(out, d.Name)
		}
	}
	return out
}

// PermissionSetPolicyArgs are the arguments of role r's permission-set
// policy, computed from the configuration in this one place for the stack,
// `runas plan`, explain and the policy tests:
// policy.PermissionSetSessionPolicy(c.PermissionSetPolicyArgs(r)).
func (c *Config) PermissionSetPolicyArgs(r Role) policy.PermissionSetPolicyArgs {
	a := policy.PermissionSetPolicyArgs{
		AllowedDocuments: c.SessionDocumentNames(),
		ReservedUsers:    c.ReservedRunAsUsers(),
		Regions:          append([]string(nil), c.Organization.Regions...),
		AllowCommands:    r.PermissionSet.AllowRunCommands,
		InstanceTagKey:   r.PermissionSet.InstanceTagKey,
		InstanceTagValue: r.PermissionSet.InstanceTagValue,
	}
	if c.Model == ModelPerRole {
		a.RoleUsers = c.RoleUsers()
	}
	if k := c.SessionPreferences.KMSKeyID; k != nil {
		a.KMSKeyID = *k
	}
	return a
}

// EntraGroups lists every Entra group the configuration gives access to:
// the role groups and the per-user permission sets' groups, each once.
func (c *Config) EntraGroups() []string {
	var out []string
	seen := map[string]bool{}
	add := func(g string) {
		if k := strings.ToLower(g); !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	for _, r := range c.Roles {
		add(r.EntraGroup)
	}
	if c.PerUser != nil {
		for _, a := range c.PerUser.PermissionSets {
			add(a.EntraGroup)
		}
	}
	return out
}
