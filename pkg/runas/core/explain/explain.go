// Package resolve models, without any AWS call, which Linux user a person's
// Session Manager shell opens as, following the documented order:
//
//  1. the SSMSessionRunAs value: in the per-role model computed from the
//     person's role groups by precedence (what the attribute sync writes),
//     in the per-user model the person's own account name;
//  2. Identity Center refuses sign-in when the attribute is multi-valued,
//     and otherwise puts the value on the role session as a session tag;
//  3. the permission set must be assigned to one of the person's groups;
//     ssm-runas permission sets deny StartSession without the tag and allow
//     only the configured session documents;
//  4. Run As takes the tag on the calling principal, else the
//     runAsDefaultUser of the document used (the one named at StartSession,
//     else SSM-SessionManagerRunShell); with Run As off the shell opens as
//     ssm-user, and there is no fallback to ssm-user when Run As is on;
//  5. the agent refuses invalid names and root, and the user must exist on
//     the host ("failed to start pty since RunAs user X does not exist").
//
// Each step of the trace names the rule that decided it.
//
// https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html
package explain

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostaccounts"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Failure names why a shell does not open as the intended user.
type Failure string

// Failures.
const (
	// NotAssigned: none of the person's groups holds the permission set.
	NotAssigned Failure = "not-assigned"
	// MultipleValues: Identity Center rejects a multi-valued attribute at sign-in.
	MultipleValues Failure = "multiple-values"
	// TagAbsent: no SSMSessionRunAs tag; the permission set denies StartSession.
	TagAbsent Failure = "tag-absent"
	// DocumentNotAllowed: the permission set does not allow the named document.
	DocumentNotAllowed Failure = "document-not-allowed"
	// RunAsOff: the document has Run As off; the shell opens as ssm-user.
	RunAsOff Failure = "run-as-off"
	// InvalidName: the value is not a valid Linux user name.
	InvalidName Failure = "invalid-name"
	// Root: Session Manager does not allow root as a Run As user.
	Root Failure = "root-not-allowed"
	// UserMissing: the user does not exist on the host.
	UserMissing Failure = "user-missing-on-host"
)

// SSMUser is the account sessions open as when Run As is off.
const SSMUser = "ssm-user"

// Request describes one person starting one session.
type Request struct {
	// User is required: the person, e.g. their Identity Center user name.
	User string
	// Groups are the person's Entra groups (per-role model). Exactly one of
	// Groups and AttributeValues is set.
	Groups []string
	// AttributeValues are the attribute's values as Identity Center holds
	// them (per-user model, or to check a stored value); more than one is a
	// multi-valued attribute.
	AttributeValues []string
	// PermissionSet is optional: the permission set picked at sign-in, by
	// name or ARN. By default, that of the person's winning role.
	PermissionSet string
	// Document is optional: the document named at StartSession.
	Document string
	// HostUsers are optional: the accounts on the host. By default, what the
	// host accounts association creates.
	HostUsers []string
}

// Step is one decision in the trace.
type Step struct {
	Step   string `json:"step"`
	Rule   string `json:"rule"`
	Result string `json:"result"`
}

// Result is the outcome: the Linux user when a shell opens, the failure
// when something is wrong, and every step.
type Result struct {
	User      string   `json:"user"`
	LinuxUser *string  `json:"linuxUser"`
	Failure   *Failure `json:"failure"`
	Steps     []Step   `json:"steps"`
}

// Opens reports whether a shell opens at all (as LinuxUser).
func (r Result) Opens() bool { return r.LinuxUser != nil }

func (r *Result) step(step, rule, result string) { r.Steps = append(r.Steps, Step{step, rule, result}) }

func (r *Result) fail(f Failure) Result {
	r.Failure = &f
	return *r
}

// Explain follows req through the chain the configuration builds.
func Explain(c *settings.Config, req Request) (Result, error) {
	if strings.TrimSpace(req.User) == "" {
		return Result{}, errors.New("the user is required")
	}
	if (req.Groups == nil) == (req.AttributeValues == nil) {
		return Result{}, errors.New("give either the user's groups or the attribute value(s), not both or neither")
	}
	for _, h := range req.HostUsers {
		if err := username.Validate(h); err != nil {
			return Result{}, fmt.Errorf("host user %q: %w", h, err)
		}
	}
	res := Result{User: req.User}
	roles := c.RolesByPrecedence()

	// 1. The attribute value.
	var values []string
	var winner *settings.Role
	var memberOf []settings.Role
	if req.Groups != nil {
		memberOf = c.RolesOf(req.Groups)
		d := settings.DecideRole(memberOf)
		switch {
		case d.Winner == nil:
			res.step("attribute", "the value comes from the role groups; the user is in none of "+groupNames(roles),
				"no value")
		case d.Conflict != nil:
			res.step("attribute", fmt.Sprintf("roles %s and %s share precedence %d and imply different users",
				d.Winner.Name, d.Conflict.Name, d.Winner.Precedence), "no value: the precedences must be fixed")
		case len(d.Others) == 0:
			winner = d.Winner
			values = []string{winner.LinuxUser}
			res.step("attribute", fmt.Sprintf("member of one role group, %s (role %s)", winner.EntraGroup, winner.Name), winner.LinuxUser)
		default:
			winner = d.Winner
			values = []string{winner.LinuxUser}
			var others []string
			for _, r := range d.Others {
				others = append(others, fmt.Sprintf("%s (%d)", r.Name, r.Precedence))
			}
			res.step("attribute", fmt.Sprintf("member of %d role groups: the highest precedence wins, %s (%d) over %s",
				len(memberOf), winner.Name, winner.Precedence, strings.Join(others, ", ")), winner.LinuxUser)
		}
	} else {
		values = req.AttributeValues
		res.step("attribute", "given as the value Identity Center holds", strings.Join(values, ", "))
	}

	// 2. Sign-in and the session tag.
	if len(values) > 1 {
		res.step("sign-in", "Identity Center rejects multi-valued attributes, and STS has no multi-valued session tags",
			fmt.Sprintf("sign-in rejected: %d values", len(values)))
		return res.fail(MultipleValues), nil
	}
	tag := ""
	if len(values) == 1 {
		tag = values[0]
		res.step("session-tag", "ABAC maps "+sourceOf(c)+" to the session tag "+settings.RunAsTagKey, settings.RunAsTagKey+"="+tag)
	} else {
		res.step("session-tag", "no value, so the role session carries no "+settings.RunAsTagKey+" tag", "absent")
	}

	// 3. The permission set.
	ps, ok := pickPermissionSet(c, req, winner, memberOf, &res)
	if !ok {
		return res.fail(NotAssigned), nil
	}

	// 4. The policy and the document.
	doc := sessiondoc.DocumentName
	if req.Document != "" {
		doc = req.Document
	}
	if ps.Managed() {
		if tag == "" {
			res.step("policy", "DenyStartSessionWithoutRunAsTag: Null aws:PrincipalTag/"+settings.RunAsTagKey, "ssm:StartSession denied")
			return res.fail(TagAbsent), nil
		}
		if _, ok := findDocument(c, doc); !ok {
			res.step("policy", "StartSessionWithAllowedDocuments allows "+allowedDocuments(c), "ssm:StartSession denied for "+doc)
			return res.fail(DocumentNotAllowed), nil
		}
		res.step("policy", "tag present and document "+doc+" allowed", "ssm:StartSession allowed")
	} else {
		res.step("policy", "permission set "+ps.ARN+" is not managed by ssm-runas; its policy is assumed to allow the session",
			"not checked")
	}

	// 5. Run As.
	// A document the permission set allows is configured; with an
	// unmanaged permission set it may not be, and then nothing is known of
	// its Run As settings: it counts as Run As off, as a document without
	// the inputs has.
	d, _ := findDocument(c, doc)
	runAsOn, fallback := d.RunAsEnabled, d.RunAsDefaultUser
	if !runAsOn {
		res.step("run-as", "document "+doc+" has Run As off: sessions open as "+SSMUser, SSMUser)
		u := SSMUser
		res.LinuxUser = &u
		return res.fail(RunAsOff), nil
	}
	user := tag
	if user != "" {
		res.step("run-as", "the "+settings.RunAsTagKey+" tag on the calling principal wins over the document's runAsDefaultUser", user)
	} else {
		user = fallback
		res.step("run-as", "no tag: runAsDefaultUser of "+doc+" (there is no fallback to "+SSMUser+" when Run As is on)", user)
	}
	if err := username.Validate(user); err != nil {
		if errors.Is(err, username.ErrRoot) {
			res.step("agent", "Session Manager does not allow root as a Run As user", "refused")
			return res.fail(Root), nil
		}
		res.step("agent", "the agent checks the name with a shell; it must match "+username.Pattern, "refused: "+user)
		return res.fail(InvalidName), nil
	}

	// 6. The host.
	hostUsers, source := req.HostUsers, "given host users"
	if hostUsers == nil && c.HostAccountsEnabled() {
		hostUsers, source = hostaccounts.FromConfig(c).Names(), "accounts the host accounts association creates"
	}
	switch {
	case hostUsers == nil:
		res.step("host", "no host accounts are managed or given", "not checked: "+user+" must exist on the host")
	case !slices.Contains(hostUsers, user):
		res.step("host", "the user must exist on the host ("+source+": "+strings.Join(hostUsers, ", ")+")",
			"failed to start pty since RunAs user "+user+" does not exist")
		return res.fail(UserMissing), nil
	default:
		res.step("host", "exists among the "+source, user)
	}
	res.LinuxUser = &user
	return res, nil
}

func pickPermissionSet(c *settings.Config, req Request, winner *settings.Role, memberOf []settings.Role, res *Result) (settings.PermissionSet, bool) {
	if req.PermissionSet == "" {
		if winner != nil {
			res.step("permission-set", "none named: the permission set of role "+winner.Name, winner.PermissionSet.DisplayName())
			return winner.PermissionSet, true
		}
		if req.Groups != nil {
			res.step("permission-set", "no role group, so no ssm-runas permission set is assigned", "none")
			return settings.PermissionSet{}, false
		}
		// Per-user: any ssm-runas permission set behaves the same way.
		if len(c.Roles) == 0 {
			res.step("permission-set", "none named and none configured", "none")
			return settings.PermissionSet{}, false
		}
		ps := c.RolesByPrecedence()[0].PermissionSet
		res.step("permission-set", "none named: assuming "+ps.DisplayName()+"; assignments not checked without --groups", ps.DisplayName())
		return ps, true
	}
	var named *settings.Role
	for _, r := range c.Roles {
		if r.PermissionSet.Name == req.PermissionSet || r.PermissionSet.ARN == req.PermissionSet {
			named = &r
			break
		}
	}
	if named == nil {
		res.step("permission-set", "no role of the configuration uses "+req.PermissionSet, "unknown permission set")
		return settings.PermissionSet{}, false
	}
	if req.Groups == nil {
		res.step("permission-set", "assignment not checked without --groups", named.PermissionSet.DisplayName())
		return named.PermissionSet, true
	}
	for _, r := range memberOf {
		if r.Name == named.Name {
			res.step("permission-set", "assigned to "+r.EntraGroup, named.PermissionSet.DisplayName())
			return named.PermissionSet, true
		}
	}
	res.step("permission-set", req.PermissionSet+" is assigned only to "+named.EntraGroup+", which the user is not in", "not assigned")
	return settings.PermissionSet{}, false
}

// sessionDocuments are the documents ssm-runas permission sets allow:
// SSM-SessionManagerRunShell with the managed preferences, then the
// configured others.
func sessionDocuments(c *settings.Config) []settings.SessionDocument {
	docs := []settings.SessionDocument{{Name: sessiondoc.DocumentName, RunAsEnabled: true, RunAsDefaultUser: c.SessionPreferences.RunAsDefaultUser}}
	if c.IdentityCenter != nil {
		docs = append(docs, c.IdentityCenter.AllowedSessionDocuments...)
	}
	return docs
}

// findDocument returns the allowed document named name.
func findDocument(c *settings.Config, name string) (settings.SessionDocument, bool) {
	for _, d := range sessionDocuments(c) {
		if d.Name == name {
			return d, true
		}
	}
	return settings.SessionDocument{}, false
}

func allowedDocuments(c *settings.Config) string {
	var names []string
	for _, d := range sessionDocuments(c) {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

func sourceOf(c *settings.Config) string {
	if c.IdentityCenter == nil {
		return settings.DefaultRunAsSource
	}
	return c.IdentityCenter.RunAsSource
}

func groupNames(roles []settings.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.EntraGroup
	}
	return strings.Join(names, ", ")
}
