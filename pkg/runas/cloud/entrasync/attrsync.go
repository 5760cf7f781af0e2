package entrasync

import (
	"context"
	"fmt"
	"sort"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Role is one role as the sync sees it.
type Role struct {
	Name       string
	Group      string
	Value      string
	Precedence int
}

// RolesFromConfig returns the configured roles.
func RolesFromConfig(c *settings.Config) []Role {
	var out []Role
	for _, r := range c.Roles {
		out = append(out, Role{Name: r.Name, Group: r.EntraGroup, Value: r.LinuxUser, Precedence: r.Precedence})
	}
	return out
}

// Input is everything the plan is computed from.
type Input struct {
	// Attribute is the extension attribute, e.g. extensionAttribute1.
	Attribute string
	// RevokedValue is written for people in no role group who hold a role
	// account's value.
	RevokedValue string
	Roles        []Role
	// Members maps a role name to the users who are direct members of its
	// group.
	Members map[string][]graph.User
	// Holders are every user whose attribute has a value today.
	Holders []graph.User
}

// Change is one write.
type Change struct {
	UserID string `json:"userId"`
	UPN    string `json:"userPrincipalName"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// Problem is something the sync will not decide.
type Problem struct {
	UserID  string `json:"userId,omitempty"`
	UPN     string `json:"userPrincipalName,omitempty"`
	Problem string `json:"problem"`
}

// ForeignValue is a value in the attribute that the sync does not own:
// held by someone in no role group, and neither a role account nor the
// revoked value. The attribute has another use there; it is left alone.
type ForeignValue struct {
	UserID string `json:"userId"`
	UPN    string `json:"userPrincipalName"`
	Value  string `json:"value"`
}

// Plan is what a run would do.
type Plan struct {
	Changes  []Change  `json:"changes"`
	Problems []Problem `json:"problems"`
	// Foreign are values left alone because the sync does not own them.
	Foreign   []ForeignValue `json:"foreignValues"`
	Unchanged int            `json:"unchanged"`
}

// Compute works out every change and problem.
func Compute(in Input) Plan {
	var p Plan
	valid := map[string]bool{}
	// owned are the values the sync writes: every role account and the
	// revoked value. Only these are ever revoked.
	owned := map[string]bool{in.RevokedValue: true}
	for _, r := range in.Roles {
		owned[r.Value] = true
		switch {
		case username.Validate(r.Value) != nil:
			p.Problems = append(p.Problems, Problem{Problem: fmt.Sprintf("role %s: value %q is not a valid Run As user name (%v); its members are skipped", r.Name, r.Value, username.Validate(r.Value))})
		case r.Value == in.RevokedValue:
			p.Problems = append(p.Problems, Problem{Problem: fmt.Sprintf("role %s: value %q is the revoked value; its members are skipped", r.Name, r.Value)})
		default:
			valid[r.Name] = true
		}
	}

	type state struct {
		user  graph.User
		roles []Role
	}
	byID := map[string]*state{}
	var order []string
	add := func(u graph.User) *state {
		s, ok := byID[u.ID]
		if !ok {
			s = &state{user: u}
			byID[u.ID] = s
			order = append(order, u.ID)
		}
		return s
	}
	for _, r := range in.Roles {
		for _, u := range in.Members[r.Name] {
			s := add(u)
			s.roles = append(s.roles, r)
		}
	}
	for _, u := range in.Holders {
		add(u)
	}
	sort.Slice(order, func(i, j int) bool {
		return byID[order[i]].user.UserPrincipalName < byID[order[j]].user.UserPrincipalName
	})

	for _, id := range order {
		s := byID[id]
		u := s.user
		current := u.OnPremisesExtensionAttributes[in.Attribute]
		if len(s.roles) == 0 && !owned[current] {
			p.Foreign = append(p.Foreign, ForeignValue{UserID: u.ID, UPN: u.UserPrincipalName, Value: current})
			continue
		}
		want, reason, problem := decide(s.roles, valid, in.RevokedValue)
		if problem != "" {
			p.Problems = append(p.Problems, Problem{UserID: u.ID, UPN: u.UserPrincipalName, Problem: problem})
			continue
		}
		if want == "" || current == want {
			p.Unchanged++
			continue
		}
		if current != "" && !owned[current] {
			reason += fmt.Sprintf("; replaces %q, which is not a role account", current)
		}
		if u.Synced() {
			p.Problems = append(p.Problems, Problem{UserID: u.ID, UPN: u.UserPrincipalName, Problem: fmt.Sprintf(
				"synced from on-premises AD: set %s to %q there (%s)", in.Attribute, want, reason)})
			continue
		}
		p.Changes = append(p.Changes, Change{UserID: u.ID, UPN: u.UserPrincipalName, From: current, To: want, Reason: reason})
	}
	return p
}

// decide returns the value a person with these roles should hold, by the
// precedence rule settings.DecideRole.
func decide(roles []Role, valid map[string]bool, revoked string) (value, reason, problem string) {
	var usable []settings.Role
	for _, r := range roles {
		if valid[r.Name] {
			usable = append(usable, settings.Role{Name: r.Name, EntraGroup: r.Group, LinuxUser: r.Value, Precedence: r.Precedence})
		}
	}
	if len(roles) > 0 && len(usable) == 0 {
		return "", "", "" // every role is invalid: reported once per role, left alone
	}
	d := settings.DecideRole(usable)
	switch {
	case d.Winner == nil:
		return revoked, "in no role group: revoked (Identity Center keeps cleared values)", ""
	case d.Conflict != nil:
		return "", "", fmt.Sprintf("roles %s and %s share precedence %d and imply %q and %q: fix the precedences",
			d.Winner.Name, d.Conflict.Name, d.Winner.Precedence, d.Winner.LinuxUser, d.Conflict.LinuxUser)
	case len(d.Others) == 0:
		return d.Winner.LinuxUser, "role " + d.Winner.Name, ""
	}
	return d.Winner.LinuxUser, fmt.Sprintf("role %s (precedence %d) over %d other role(s)", d.Winner.Name, d.Winner.Precedence, len(d.Others)), ""
}

// Reader is the part of Graph Gather needs; *graph.Client satisfies it.
type Reader interface {
	GroupByName(ctx context.Context, name string) (graph.Group, error)
	GroupMemberUsers(ctx context.Context, groupID string) ([]graph.User, error)
	UsersWithAttribute(ctx context.Context, attr string) ([]graph.User, error)
}

// Gather reads the role groups' direct members and everyone holding a value.
func Gather(ctx context.Context, r Reader, attribute, revoked string, roles []Role) (Input, error) {
	in := Input{Attribute: attribute, RevokedValue: revoked, Roles: roles, Members: map[string][]graph.User{}}
	for _, role := range roles {
		g, err := r.GroupByName(ctx, role.Group)
		if err != nil {
			return Input{}, fmt.Errorf("role %s: %w", role.Name, err)
		}
		users, err := r.GroupMemberUsers(ctx, g.ID)
		if err != nil {
			return Input{}, fmt.Errorf("reading the members of %s: %w", role.Group, err)
		}
		in.Members[role.Name] = users
	}
	holders, err := r.UsersWithAttribute(ctx, attribute)
	if err != nil {
		return Input{}, fmt.Errorf("listing users with %s set: %w", attribute, err)
	}
	in.Holders = holders
	return in, nil
}

// Writer writes one attribute; *graph.Client satisfies it.
type Writer interface {
	SetExtensionAttribute(ctx context.Context, userID, attr, value string) error
}

// Apply writes every change and returns how many were written and the
// failures, one per user. When ctx ends it stops, and one more entry says
// how many changes were not written.
func Apply(ctx context.Context, w Writer, attribute string, p Plan) (written int, failed []Problem) {
	for i, c := range p.Changes {
		if ctx.Err() != nil {
			failed = append(failed, Problem{Problem: fmt.Sprintf("stopped before writing %d more change(s): %v", len(p.Changes)-i, context.Cause(ctx))})
			break
		}
		if err := w.SetExtensionAttribute(ctx, c.UserID, attribute, c.To); err != nil {
			failed = append(failed, Problem{UserID: c.UserID, UPN: c.UPN, Problem: "writing " + attribute + ": " + err.Error()})
			continue
		}
		written++
	}
	return written, failed
}
