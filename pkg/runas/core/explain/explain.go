package explain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostaccounts"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
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
	// NotRoleUser: per-role, the value is not one of the roles' Linux users.
	NotRoleUser Failure = "not-a-role-user"
	// Reserved: the value is a reserved account (stock sudo user, ssm-user, root).
	Reserved Failure = "reserved-user"
	// RegionNotCovered: the region has no preferences document; sessions there are denied.
	RegionNotCovered Failure = "region-not-covered"
	// DocumentNotAllowed: the permission set does not allow the named document.
	DocumentNotAllowed Failure = "document-not-allowed"
	// RunAsOff: the document has Run As off; the shell opens as ssm-user.
	RunAsOff Failure = "run-as-off"
	// NoShell: the document forwards a port and opens no shell at all.
	NoShell Failure = "no-shell"
	// InvalidName: the value is not a valid Linux user name.
	InvalidName Failure = "invalid-name"
	// Root: Session Manager does not allow root as a Run As user.
	Root Failure = "root-not-allowed"
	// UserMissing: the user does not exist on the host.
	UserMissing Failure = "user-missing-on-host"
	// SharedValue: per-user, another person holds the same value; both
	// would land as one account.
	SharedValue Failure = "shared-value"
	// NoValue: per-user, the directory attribute is empty, so nothing is
	// provisioned (and Identity Center keeps any value it held before).
	NoValue Failure = "no-value"
	// BrokerOnly: the session broker serves the permission set, whose
	// policy denies starting sessions directly; `runas connect` asks the
	// broker, which picks the Linux user.
	BrokerOnly Failure = "broker-only"
)

// SSMUser is the account sessions open as when Run As is off.
const SSMUser = "ssm-user"

// Request describes one person starting one session.
type Request struct {
	// User is required: the person, e.g. their Identity Center user name.
	User string
	// Groups are the person's Entra groups (per-role model). Exactly one of
	// Groups, AttributeValues and DirectoryValue is set.
	Groups []string
	// DirectoryValue is the person's own directory attribute
	// (perUser.userSource, e.g. onPremisesSamAccountName) as Entra holds it
	// (per-user models); the provisioning mapping lower-cases it.
	DirectoryValue *string
	// Others are optional (per-user): the values other people hold, as
	// Identity Center holds them or as their directory holds them. A match
	// (in any case: hosts look names up without regard to case) means two
	// people share one account. Nil: not checked here (the audit checks
	// every assigned person).
	Others []string
	// AttributeValues are the attribute's values exactly as Identity Center
	// holds them (whitespace included); more than one is a multi-valued
	// attribute.
	AttributeValues []string
	// PermissionSet is optional: the permission set picked at sign-in, by
	// name or ARN. With Groups, by default that of the person's winning
	// role; without Groups, unknown.
	PermissionSet string
	// Document is optional: the document named at StartSession.
	Document string
	// Region is optional: the region the session starts in.
	Region string
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
	// BrokerPermissionSet is set with Failure BrokerOnly: the permission
	// set, served by the session broker, whose direct sessions are denied.
	BrokerPermissionSet string `json:"brokerPermissionSet,omitempty"`
}

// Opens reports whether a shell opens at all (as LinuxUser).
func (r Result) Opens() bool { return r.LinuxUser != nil }

// OK reports whether the shell opens as intended: it opens, and nothing
// failed (a document with Run As off opens a shell, as ssm-user, and fails).
func (r Result) OK() bool { return r.LinuxUser != nil && r.Failure == nil }

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
	given := 0
	for _, set := range []bool{req.Groups != nil, req.AttributeValues != nil, req.DirectoryValue != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return Result{}, errors.New("give exactly one of the user's groups, the attribute value(s) and the directory value")
	}
	if req.DirectoryValue != nil && !c.PerUserModel() {
		return Result{}, fmt.Errorf("a directory value is only read by the per-user models; model %s takes groups or the attribute value", c.Model)
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
	} else if req.DirectoryValue != nil {
		raw := *req.DirectoryValue
		if raw == "" {
			res.step("attribute", userSource(c)+" is empty: provisioning writes no value, and Identity Center keeps the one it held before (revoke by changing it)",
				"no value")
			return res.fail(NoValue), nil
		}
		v, rule := ProvisionedValue(c, raw)
		values = []string{v}
		res.step("attribute", rule, v)
	} else {
		values = req.AttributeValues
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = fmt.Sprintf("%q", v)
		}
		res.step("attribute", "given as the value Identity Center holds, exactly as stored", strings.Join(quoted, ", "))
	}

	// 2. Sign-in and the session tag.
	if len(values) > 1 {
		res.step("sign-in", "Identity Center rejects multi-valued attributes, and STS has no multi-valued session tags",
			fmt.Sprintf("sign-in rejected: %d values", len(values)))
		return res.fail(MultipleValues), nil
	}
	tag, hasTag := "", len(values) == 1
	// A shared value still opens a shell, as the one account both people
	// land as; explain follows the chain and reports it at the end.
	shared := hasTag && c.PerUserModel() && checkUnique(values[0], req.Others, &res)
	if hasTag {
		tag = values[0]
		res.step("session-tag", "ABAC maps "+sourceOf(c)+" to the session tag "+settings.RunAsTagKey, fmt.Sprintf("%s=%q", settings.RunAsTagKey, tag))
	} else {
		res.step("session-tag", "no value, so the role session carries no "+settings.RunAsTagKey+" tag", "absent")
	}

	// 3. The permission set.
	ps, known, ok := pickPermissionSet(c, req, winner, memberOf, &res)
	if !ok {
		return res.fail(NotAssigned), nil
	}

	// 4. IAM.
	doc := sessiondoc.DocumentName
	if req.Document != "" {
		doc = req.Document
	}
	if f, denied := decideIAM(c, ps, known, tag, hasTag, doc, req.Region, &res); denied {
		return res.fail(f), nil
	}

	// 5. Run As.
	// A document the permission set allows is configured; with an
	// unmanaged permission set it may not be, and then nothing is known of
	// its Run As settings: it counts as Run As off, as a document without
	// the inputs has.
	d, _ := findDocument(c, doc)
	if settings.PortForwardingDocument(doc) {
		res.step("run-as", "document "+doc+" forwards a port of the instance and opens no shell: Run As does not apply", "no shell")
		return res.fail(NoShell), nil
	}
	if !d.RunAsEnabled {
		res.step("run-as", "document "+doc+" has Run As off: sessions open as "+SSMUser+", which has sudo", SSMUser)
		u := SSMUser
		res.LinuxUser = &u
		return res.fail(RunAsOff), nil
	}
	user := tag
	if hasTag {
		res.step("run-as", "the "+settings.RunAsTagKey+" tag on the calling principal wins over the document's runAsDefaultUser", user)
	} else {
		user = d.RunAsDefaultUser
		res.step("run-as", "no tag: runAsDefaultUser of "+doc+" (there is no fallback to "+SSMUser+" when Run As is on)", user)
	}
	if err := username.Validate(user); err != nil {
		if errors.Is(err, username.ErrRoot) {
			res.step("agent", "Session Manager does not allow root as a Run As user", "refused")
			return res.fail(Root), nil
		}
		res.step("agent", "the agent checks the name with a shell; it must match "+username.Pattern+whitespaceNote(user),
			fmt.Sprintf("refused: %q", user))
		return res.fail(InvalidName), nil
	}

	// 6. The host.
	if c.PerUserModel() && c.PerUser != nil {
		if !joinedHost(c.PerUser, user, req.HostUsers, &res) {
			return res.fail(UserMissing), nil
		}
		res.LinuxUser = &user
		if shared {
			return res.fail(SharedValue), nil
		}
		return res, nil
	}
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
	if shared {
		return res.fail(SharedValue), nil
	}
	return res, nil
}

// decideIAM applies the session rules of the permission-set policy and the
// guardrail SCP, from the arguments the stack deploys them with. ps is the
// permission set when known; every ssm-runas permission set applies the
// same Run As, region and document rules.
func decideIAM(c *settings.Config, ps *settings.Role, known bool, tag string, hasTag bool, doc, region string, res *Result) (Failure, bool) {
	var args policy.PermissionSetPolicyArgs
	managed := true
	switch {
	case ps != nil:
		args = c.PermissionSetPolicyArgs(*ps)
		managed = ps.PermissionSet.Managed()
	case len(c.Roles) > 0:
		args = c.PermissionSetPolicyArgs(c.Roles[0])
	case c.PerUserModel():
		// Every per-user permission set carries the rules of this one
		// place: the tag must be present and not reserved, in the regions.
		args = c.PermissionSetPolicyArgs(settings.Role{})
	default:
		managed = false
	}
	scp := c.GuardrailSCPArgs()
	guarded := c.GuardrailEnabled()
	scope := ""
	if !known {
		scope = " (the same in every ssm-runas permission set)"
	}

	// The guardrail SCP, in every member account.
	if guarded && hasTag && slices.Contains(scp.ReservedUsers, tag) {
		res.step("policy", "SCP "+policy.SidDenyReservedRunAsUsers+": "+fmt.Sprintf("%q", tag)+
			" is a reserved account (guardrail.reservedUsers: a stock account with sudo, ssm-user or root)", "ssm:StartSession denied")
		return Reserved, true
	}
	if guarded && region != "" && !slices.Contains(scp.Regions, region) {
		res.step("policy", "SCP "+policy.SidDenyStartSessionOutsideRegions+": "+region+
			" has no preferences document, so Run As would be off there (covered: "+strings.Join(scp.Regions, ", ")+")", "ssm:StartSession denied")
		return RegionNotCovered, true
	}

	if !managed {
		if ps != nil {
			res.step("policy", "permission set "+ps.PermissionSet.ARN+" is not managed by ssm-runas; its policy is not known",
				"not checked beyond the SCP")
		} else {
			res.step("policy", "no ssm-runas permission set is configured", "not checked beyond the SCP")
		}
		return "", false
	}

	// A permission set the broker serves denies every direct session
	// (brokerpolicy.CallerPolicy); the broker decides the user instead.
	if ps != nil && c.BrokerServes(ps.PermissionSet.Name) {
		res.step("policy", brokerpolicy.SidDenyDirectStartSession+": the session broker serves "+ps.PermissionSet.Name+
			"; sessions start through runas connect, as the broker's user for it", "ssm:StartSession denied")
		res.BrokerPermissionSet = ps.PermissionSet.Name
		return BrokerOnly, true
	}

	// The permission-set policy (which also holds in the management account).
	switch {
	case len(args.RoleUsers) > 0 && !hasTag:
		res.step("policy", policy.SidDenyRunAsOutsideRoleUsers+scope+": no "+settings.RunAsTagKey+" tag", "ssm:StartSession denied")
		return TagAbsent, true
	case len(args.RoleUsers) > 0 && !slices.Contains(args.RoleUsers, tag):
		why := fmt.Sprintf("%q is not a role user (%s)", tag, strings.Join(args.RoleUsers, ", "))
		if slices.Contains(scp.ReservedUsers, strings.TrimSpace(tag)) {
			why += "; it names a reserved account"
		}
		res.step("policy", policy.SidDenyRunAsOutsideRoleUsers+scope+": "+why+whitespaceNote(tag), "ssm:StartSession denied")
		return NotRoleUser, true
	case len(args.RoleUsers) == 0 && !hasTag:
		res.step("policy", policy.SidDenyStartSessionWithoutRunAsTag+scope+": Null aws:PrincipalTag/"+settings.RunAsTagKey, "ssm:StartSession denied")
		return TagAbsent, true
	case len(args.RoleUsers) == 0 && slices.Contains(args.ReservedUsers, tag):
		res.step("policy", policy.SidDenyReservedRunAsUsers+scope+": "+fmt.Sprintf("%q", tag)+" is a reserved account", "ssm:StartSession denied")
		return Reserved, true
	}
	if region != "" && len(args.Regions) > 0 && !slices.Contains(args.Regions, region) {
		res.step("policy", policy.SidDenyStartSessionOutsideRegions+scope+": "+region+" has no preferences document", "ssm:StartSession denied")
		return RegionNotCovered, true
	}
	if doc != sessiondoc.DocumentName && !slices.Contains(args.AllowedDocuments, doc) {
		res.step("policy", policy.SidDenyOtherSessionDocuments+scope+": only "+allowedDocuments(c)+" are allowed", "ssm:StartSession denied for "+doc)
		return DocumentNotAllowed, true
	}
	where := "region not given: sessions start only in " + strings.Join(args.Regions, ", ")
	if region != "" {
		where = "region " + region + " covered"
	}
	res.step("policy", fmt.Sprintf("%q allowed as Run As value, document %s allowed, %s%s", tag, doc, where, scope), "ssm:StartSession allowed")
	return "", false
}

func whitespaceNote(v string) string {
	if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return "; the stored value holds whitespace (fix it in the directory: it is not trimmed on the way)"
	}
	return ""
}

// pickPermissionSet returns the role whose permission set the session uses
// (nil when not known), whether it is known, and false when the person
// cannot use it.
func pickPermissionSet(c *settings.Config, req Request, winner *settings.Role, memberOf []settings.Role, res *Result) (*settings.Role, bool, bool) {
	if req.PermissionSet == "" {
		if winner != nil {
			res.step("permission-set", "none named: the permission set of role "+winner.Name+" (name another with --permission-set)",
				winner.PermissionSet.DisplayName())
			return winner, true, true
		}
		if req.Groups != nil {
			res.step("permission-set", "no role group, so no ssm-runas permission set is assigned", "none")
			return nil, false, false
		}
		res.step("permission-set", "none named, and assignments are not known without the person's groups; "+
			"IAM decides the session by the Run As value, the region and the document", "unknown")
		return nil, false, true
	}
	var named *settings.Role
	for i, r := range c.Roles {
		if r.PermissionSet.Name == req.PermissionSet || r.PermissionSet.ARN == req.PermissionSet {
			named = &c.Roles[i]
			break
		}
	}
	if named == nil && c.PerUserModel() {
		res.step("permission-set", "assignment not checked: per-user permission sets carry the same session rules whichever is picked",
			req.PermissionSet)
		return nil, false, true
	}
	if named == nil {
		res.step("permission-set", "no role of the configuration uses "+req.PermissionSet, "unknown permission set")
		return nil, false, false
	}
	if req.Groups == nil {
		res.step("permission-set", "assignment not checked without the person's groups", named.PermissionSet.DisplayName())
		return named, true, true
	}
	for _, r := range memberOf {
		if r.Name == named.Name {
			res.step("permission-set", "assigned to "+r.EntraGroup, named.PermissionSet.DisplayName())
			return named, true, true
		}
	}
	res.step("permission-set", req.PermissionSet+" is assigned only to "+named.EntraGroup+", which the user is not in", "not assigned")
	return nil, false, false
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
