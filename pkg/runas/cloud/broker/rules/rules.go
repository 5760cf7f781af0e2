package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// DefaultDocument is the session document the broker starts sessions with
// when the request names none: the preferences document with Run As on.
const DefaultDocument = "SSM-SessionManagerRunShell"

// RunAsTagKey is the session tag Session Manager reads the Run As user from.
const RunAsTagKey = "SSMSessionRunAs"

// maxReasonLength is StartSession's limit on Reason.
//
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartSession.html
const maxReasonLength = 256

// reservedRolePrefix starts the name of every role Identity Center creates
// for a permission set: AWSReservedSSO_<PermissionSet>_<16 hex>.
const reservedRolePrefix = "AWSReservedSSO_"

// Rules are everything the broker decides with. They are computed from the
// configuration once (settings.Config.BrokerRules) and handed to the Lambda
// as JSON, so the function parses no configuration file at run time.
type Rules struct {
	// OrganizationID is required: callers outside it are refused.
	OrganizationID string `json:"organizationId"`
	// Accounts are the organization's accounts the broker serves. A request
	// whose authenticated context carries no principal organization id (API
	// Gateway REST APIs) is served only when the caller's account is listed.
	Accounts []string `json:"accounts,omitempty"`
	// PermissionSets maps a permission set name to the Linux user its
	// people land as. Permission sets not listed are refused.
	PermissionSets map[string]string `json:"permissionSets"`
	// SessionRoleName is required: the base name of the role the broker
	// assumes in the caller's account to start the session; the role of
	// each region is <SessionRoleName>-<region>.
	SessionRoleName string `json:"sessionRoleName"`
	// Documents are the session documents a request may name; the first is
	// used when it names none. Default: SSM-SessionManagerRunShell.
	Documents []string `json:"documents,omitempty"`
	// Regions are the regions sessions may start in (where the
	// preferences document is deployed). Empty allows none.
	Regions []string `json:"regions"`
	// Partition is optional, default aws.
	Partition string `json:"partition,omitempty"`
}

// Caller is the authenticated principal of a request, as the function URL
// or API Gateway put it in the request context after checking the SigV4
// signature. Nothing in it comes from the request body.
type Caller struct {
	// ARN is the caller's ARN (userArn).
	ARN string `json:"arn"`
	// AccountID is the caller's account (accountId).
	AccountID string `json:"accountId"`
	// PrincipalOrgID is the caller's organization when the context carries
	// it (principalOrgId), else "".
	PrincipalOrgID string `json:"principalOrgId,omitempty"`
}

// Identity is an Identity Center role session, parsed from its ARN.
type Identity struct {
	AccountID string `json:"accountId"`
	// PermissionSet is the permission set name, which may contain '_'.
	PermissionSet string `json:"permissionSet"`
	// Person is the role session name: the Identity Center user name.
	Person string `json:"person"`
}

var (
	accountIDRe  = regexp.MustCompile(`^\d{12}$`)
	roleSuffixRe = regexp.MustCompile(`^[0-9a-f]{16}$`)
	// permissionSetRe is Identity Center's rule for permission set names.
	permissionSetRe = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)
	// sessionNameRe is STS's rule for role session names and source
	// identities: 2-64 of letters, digits and _+=,.@-.
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	targetRe      = regexp.MustCompile(`^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$`)
	regionRe      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	parameterRe   = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
)

// ParseIdentity reads an Identity Center role session ARN,
// arn:<partition>:sts::<account>:assumed-role/AWSReservedSSO_<PermissionSet>_<16 hex>/<person>.
// The permission set name may itself contain '_', so the role name is read
// from the right: the last '_' separates the 16-hex suffix.
func ParseIdentity(arn string) (Identity, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "sts" || parts[3] != "" {
		return Identity{}, fmt.Errorf("caller %q is not an STS role session ARN", arn)
	}
	if !accountIDRe.MatchString(parts[4]) {
		return Identity{}, fmt.Errorf("caller %q has no 12-digit account", arn)
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "assumed-role" {
		return Identity{}, fmt.Errorf("caller %q is not an assumed-role session", arn)
	}
	role, person := res[1], res[2]
	rest, ok := strings.CutPrefix(role, reservedRolePrefix)
	if !ok {
		return Identity{}, fmt.Errorf("caller %q is not an Identity Center permission set role (AWSReservedSSO_...)", arn)
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 || !roleSuffixRe.MatchString(rest[i+1:]) {
		return Identity{}, fmt.Errorf("caller %q: role %s does not end in _<16 hex>", arn, role)
	}
	ps := rest[:i]
	if !permissionSetRe.MatchString(ps) {
		return Identity{}, fmt.Errorf("caller %q: permission set %q is not a permission set name", arn, ps)
	}
	if !sessionNameRe.MatchString(person) {
		return Identity{}, fmt.Errorf("caller %q: session name %q cannot be a source identity (2-64 of letters, digits, _+=,.@-)", arn, person)
	}
	return Identity{AccountID: parts[4], PermissionSet: ps, Person: person}, nil
}

// Request is what the caller asks for, from the request body. It names
// where the session goes, never who the caller is.
type Request struct {
	// Target is required: an instance id (i-...) or a managed instance id (mi-...).
	Target string `json:"target"`
	// AccountID is optional: the target's account. It must be the caller's
	// own; it is accepted only to refuse other accounts explicitly.
	AccountID string `json:"accountId,omitempty"`
	// Region is required: where the target runs.
	Region string `json:"region"`
	// DocumentName is optional: one of the rules' documents.
	DocumentName string `json:"documentName,omitempty"`
	// Parameters are optional: the document's parameters, as StartSession
	// takes them.
	Parameters map[string][]string `json:"parameters,omitempty"`
	// Reason is optional: why the session is started; StartSession records
	// it in CloudTrail.
	Reason string `json:"reason,omitempty"`
}

// Decision is the broker's answer to one request, before any AWS call.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Reason says why a request is refused; empty when allowed.
	Reason   string   `json:"reason,omitempty"`
	Identity Identity `json:"identity"`
	// LinuxUser is the user the session opens as (SSMSessionRunAs).
	LinuxUser string `json:"linuxUser,omitempty"`
	// SessionRoleARN is the role assumed in the caller's account.
	SessionRoleARN string `json:"sessionRoleArn,omitempty"`
	Target         string `json:"target,omitempty"`
	Region         string `json:"region,omitempty"`
	DocumentName   string `json:"documentName,omitempty"`
}

func deny(d Decision, format string, args ...any) Decision {
	d.Allowed = false
	d.Reason = fmt.Sprintf(format, args...)
	d.LinuxUser, d.SessionRoleARN = "", ""
	return d
}

// Decide is the broker's one authorization rule: an Identity Center role
// session of the organization, with a configured permission set, may start
// a session on a target in its own account, in a covered region, with an
// allowed document, as the Linux user its permission set maps to.
func (r Rules) Decide(c Caller, req Request) Decision {
	d := Decision{Target: req.Target, Region: req.Region, DocumentName: req.DocumentName}
	if d.DocumentName == "" {
		d.DocumentName = r.documents()[0]
	}
	id, err := ParseIdentity(c.ARN)
	if err != nil {
		return deny(d, "%v", err)
	}
	d.Identity = id
	if c.AccountID != "" && c.AccountID != id.AccountID {
		return deny(d, "caller account %s does not match the session ARN's account %s", c.AccountID, id.AccountID)
	}
	switch {
	case c.PrincipalOrgID != "":
		if c.PrincipalOrgID != r.OrganizationID {
			return deny(d, "caller is in organization %s, not %s", c.PrincipalOrgID, r.OrganizationID)
		}
	case !slices.Contains(r.Accounts, id.AccountID):
		return deny(d, "caller account %s is not one of the organization's accounts the broker serves (the request carried no organization id)", id.AccountID)
	}
	user, ok := r.PermissionSets[id.PermissionSet]
	if !ok {
		return deny(d, "permission set %q is not configured for the broker", id.PermissionSet)
	}
	if err := username.Validate(user); err != nil {
		return deny(d, "permission set %q maps to Linux user %q: %v", id.PermissionSet, user, err)
	}
	if req.AccountID != "" && req.AccountID != id.AccountID {
		return deny(d, "target account %s is not the caller's account %s: sessions start only in the account the caller signed in to", req.AccountID, id.AccountID)
	}
	if !targetRe.MatchString(req.Target) {
		return deny(d, "target %q must be an instance id (i-...) or a managed instance id (mi-...)", req.Target)
	}
	if !regionRe.MatchString(req.Region) {
		return deny(d, "region %q is not a region name", req.Region)
	}
	if !slices.Contains(r.Regions, req.Region) {
		return deny(d, "region %s has no preferences document with Run As on (covered: %s)", req.Region, strings.Join(r.Regions, ", "))
	}
	if !slices.Contains(r.documents(), d.DocumentName) {
		return deny(d, "document %q is not one the broker starts sessions with (%s)", d.DocumentName, strings.Join(r.documents(), ", "))
	}
	if len(req.Reason) > maxReasonLength {
		return deny(d, "reason is %d characters, over the %d StartSession accepts", len(req.Reason), maxReasonLength)
	}
	for k := range req.Parameters {
		if !parameterRe.MatchString(k) {
			return deny(d, "parameter name %q is not a document parameter name", k)
		}
	}
	d.Allowed = true
	d.LinuxUser = user
	d.SessionRoleARN = r.SessionRoleARN(id.AccountID, req.Region)
	return d
}

// SessionRoleARN is the session role's ARN in account for region. The
// member template is deployed once per region and IAM names are global, so
// each region's stack creates its own role, <SessionRoleName>-<region>.
func (r Rules) SessionRoleARN(account, region string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", r.partition(), account, SessionRoleName(r.SessionRoleName, region))
}

// SessionRoleName is the session role's name in region.
func SessionRoleName(base, region string) string { return base + "-" + region }

func (r Rules) documents() []string {
	if len(r.Documents) == 0 {
		return []string{DefaultDocument}
	}
	return r.Documents
}

func (r Rules) partition() string {
	if r.Partition == "" {
		return "aws"
	}
	return r.Partition
}

// Validate checks rules handed to the Lambda; the configuration's own
// validation names the YAML fields, this one guards the function's input.
func (r Rules) Validate() error {
	var problems []string
	if !strings.HasPrefix(r.OrganizationID, "o-") {
		problems = append(problems, fmt.Sprintf("organizationId %q must be an organization id (o-...)", r.OrganizationID))
	}
	if r.SessionRoleName == "" {
		problems = append(problems, "sessionRoleName is required")
	}
	if len(r.PermissionSets) == 0 {
		problems = append(problems, "permissionSets is required: at least one permission set")
	}
	for ps, u := range r.PermissionSets {
		if !permissionSetRe.MatchString(ps) {
			problems = append(problems, fmt.Sprintf("permissionSets[%q]: must be a permission set name", ps))
		}
		if err := username.Validate(u); err != nil {
			problems = append(problems, fmt.Sprintf("permissionSets[%q] %q: %v", ps, u, err))
		}
	}
	if len(r.Regions) == 0 {
		problems = append(problems, "regions is required: at least one region")
	}
	for _, a := range r.Accounts {
		if !accountIDRe.MatchString(a) {
			problems = append(problems, fmt.Sprintf("accounts %q: must be a 12-digit account id", a))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("invalid broker rules: %s", strings.Join(problems, "; "))
	}
	return nil
}
