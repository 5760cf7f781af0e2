package settings

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// PerUser is the `perUser` section: where each person's own Linux name comes
// from, and how hosts join the Active Directory domain so that the name
// resolves there (through SSSD) the way the SSM agent needs it.
type PerUser struct {
	// Domain is required: the Active Directory domain hosts join.
	Domain ADDomain `yaml:"domain" json:"domain"`
	// JoinOU is optional: the distinguished name of the OU the hosts'
	// computer accounts are created in, e.g.
	// OU=Linux,OU=Servers,DC=corp,DC=example,DC=com. Default: the domain's
	// Computers container.
	JoinOU string `yaml:"joinOu,omitempty" json:"joinOu,omitempty"`
	// UserSource is optional, default onPremisesSamAccountName: the Entra ID
	// user attribute whose value, lower-cased by the provisioning mapping,
	// becomes the person's SSMSessionRunAs. Alternatives are mailNickname
	// and extensionAttribute1-15. When the entra section is set, its
	// scim.sourceAttribute must name the same attribute. Hosts look people
	// up by sAMAccountName, so the value must be the person's
	// sAMAccountName (in any case).
	UserSource string `yaml:"userSource,omitempty" json:"userSource,omitempty"`
	// FullyQualifiedNames is optional, default false: whether SSSD names
	// directory users alice@corp.example.com. Run As values are bare names,
	// so with true the hosts resolve bare names through DefaultDomainSuffix.
	FullyQualifiedNames bool `yaml:"fullyQualifiedNames,omitempty" json:"fullyQualifiedNames,omitempty"`
	// DefaultDomainSuffix is optional and only read with FullyQualifiedNames:
	// the domain SSSD appends to bare names. Default and only allowed value:
	// the joined domain's name (the Entra UPN suffix often differs; it is not
	// what the hosts look names up in).
	DefaultDomainSuffix string `yaml:"defaultDomainSuffix,omitempty" json:"defaultDomainSuffix,omitempty"`
	// IDMapping is optional, default true: SSSD computes uid and gid from
	// each account's SID (ldap_id_mapping). With false, uid and gid come from
	// the RFC2307 attributes uidNumber and gidNumber, and accounts without
	// them do not resolve on the hosts.
	IDMapping *bool `yaml:"idMapping,omitempty" json:"idMapping,omitempty"`
	// Shell is optional, default /bin/bash: the shell of accounts without a
	// loginShell attribute.
	Shell string `yaml:"shell,omitempty" json:"shell,omitempty"`
	// LoginGroups is required: the AD groups whose members land on the
	// hosts. Their home directories are created by the join association,
	// since Session Manager opens shells without a PAM session. Members of
	// the sudo groups get homes too.
	LoginGroups []string `yaml:"loginGroups" json:"loginGroups"`
	// Sudo is optional: sudo rules granted to the members of AD groups.
	Sudo []GroupSudo `yaml:"sudo,omitempty" json:"sudo,omitempty"`
	// Hosts is optional: which instances the join association runs on, and
	// how often.
	Hosts HostJoin `yaml:"hosts" json:"hosts"`
	// PermissionSets is optional: which AD-backed Entra groups get which
	// permission set in which accounts. Whatever permission set a person
	// picks, they land as their own account; every permission set carries
	// the same Run As deny, reserved-name deny and region rules.
	PermissionSets []PerUserAccess `yaml:"permissionSets,omitempty" json:"permissionSets,omitempty"`
}

// PerUserAccess is one permission set the members of an Entra group get.
type PerUserAccess struct {
	// EntraGroup is required: the group's display name, as SCIM provisions
	// it into the identity store.
	EntraGroup string `yaml:"entraGroup" json:"entraGroup"`
	// PermissionSet is required: one to create (name) or an existing one (arn).
	PermissionSet PermissionSet `yaml:"permissionSet" json:"permissionSet"`
	// Assignments is required: account ids or OU ids where the group gets
	// the permission set.
	Assignments []string `yaml:"assignments" json:"assignments"`
}

// ADDomain is an existing Active Directory domain (a customer's, or AWS
// Managed Microsoft AD), or the one the domain-controller model builds.
type ADDomain struct {
	// FromDomainControllerStack is optional: true takes the domain, its DNS
	// servers and the join secret from the domain controller the same
	// deployment builds (model domain-controller). The other fields are
	// then left unset.
	FromDomainControllerStack bool `yaml:"fromDomainControllerStack,omitempty" json:"fromDomainControllerStack,omitempty"`
	// Name is required for an existing domain: its DNS name in lower case,
	// e.g. corp.example.com.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Realm is optional, default the name in upper case (the only Kerberos
	// realm an Active Directory domain has).
	Realm string `yaml:"realm,omitempty" json:"realm,omitempty"`
	// DNSServers is required for an existing domain: IP addresses of DNS
	// servers that answer for the domain (its domain controllers). Hosts
	// find the domain controllers through DNS, so the VPC's resolver must
	// forward the domain to them (DHCP options or a Route 53 Resolver rule).
	DNSServers []string `yaml:"dnsServers,omitempty" json:"dnsServers,omitempty"`
	// Controllers is optional: host names of domain controllers to use
	// instead of discovering them through DNS SRV records.
	Controllers []string `yaml:"controllers,omitempty" json:"controllers,omitempty"`
	// JoinSecretARN is required for an existing domain: the Secrets Manager
	// secret holding the join account as JSON with the keys
	// awsSeamlessDomainUsername and awsSeamlessDomainPassword (the shape
	// AWS's seamless domain join uses). Hosts read it at run time with
	// their instance profile; it is never written into a document or log.
	JoinSecretARN string `yaml:"joinSecretArn,omitempty" json:"joinSecretArn,omitempty"`
}

// GroupSudo grants a sudo rule to the members of an AD group.
type GroupSudo struct {
	// Group is required: the AD group's name (sAMAccountName), any case.
	Group string `yaml:"group" json:"group"`
	// Rule is required: what the members may run, as for role accounts.
	Rule Sudo `yaml:"rule" json:"rule"`
}

// HostJoin selects the instances the join association runs on.
type HostJoin struct {
	// TargetTagKey / TargetTagValue are optional, default
	// ssm-runas:domain-join / true.
	TargetTagKey   string `yaml:"targetTagKey,omitempty" json:"targetTagKey,omitempty"`
	TargetTagValue string `yaml:"targetTagValue,omitempty" json:"targetTagValue,omitempty"`
	// Schedule is optional, default rate(30 minutes): how often the
	// association runs again (new group members get their homes then).
	Schedule string `yaml:"schedule,omitempty" json:"schedule,omitempty"`
}

// Per-user defaults.
const (
	DefaultJoinTargetTagKey    = "ssm-runas:domain-join"
	DefaultJoinTargetTagValue  = "true"
	DefaultJoinSchedule        = "rate(30 minutes)"
	JoinSecretUsernameKey      = "awsSeamlessDomainUsername"
	JoinSecretPasswordKey      = "awsSeamlessDomainPassword"
	maxADGroupNameLength       = 64
	maxDistinguishedNameLength = 512
	maxDNSNameLength           = 253
)

var (
	domainNameRe    = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)
	secretARNRe     = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	adGroupNameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.-]*$`)
	dnComponentRe   = regexp.MustCompile(`^(?i)(OU|CN|DC)=([A-Za-z0-9][A-Za-z0-9 _.-]*)$`)
	domainComponent = regexp.MustCompile(`^(?i)DC=`)
)

// IDMappingEnabled reports whether SSSD maps IDs from SIDs (the default).
func (p *PerUser) IDMappingEnabled() bool { return p.IDMapping == nil || *p.IDMapping }

// ValidADGroupName reports whether name is an AD group name hosts and
// sudoers can carry: letters, digits, space, '_', '.' and '-', starting with
// a letter or digit, at most 64 characters (sAMAccountName's limit).
func ValidADGroupName(name string) bool {
	return len(name) <= maxADGroupNameLength && adGroupNameRe.MatchString(name) && !strings.HasSuffix(name, " ")
}

// BaseDN is the distinguished name of an AD domain: DC=corp,DC=example,DC=com.
func BaseDN(domain string) string {
	parts := strings.Split(domain, ".")
	for i, p := range parts {
		parts[i] = "DC=" + p
	}
	return strings.Join(parts, ",")
}

func (c *Config) applyPerUserDefaults() {
	p := c.PerUser
	if p == nil {
		return
	}
	if p.UserSource == "" {
		p.UserSource = DefaultPerUserSourceAttribute
	}
	if !p.Domain.FromDomainControllerStack && p.Domain.Realm == "" {
		p.Domain.Realm = strings.ToUpper(p.Domain.Name)
	}
	if p.FullyQualifiedNames && p.DefaultDomainSuffix == "" {
		p.DefaultDomainSuffix = p.Domain.Name
	}
	if p.IDMapping == nil {
		p.IDMapping = ptr(true)
	}
	if p.Shell == "" {
		p.Shell = DefaultHostShell
	}
	for i := range p.PermissionSets {
		p.PermissionSets[i].PermissionSet.applyDefaults()
	}
	for i := range p.Sudo {
		if p.Sudo[i].Rule.RunAs == "" {
			p.Sudo[i].Rule.RunAs = DefaultSudoRunAs
		}
	}
	h := &p.Hosts
	if h.TargetTagKey == "" {
		h.TargetTagKey = DefaultJoinTargetTagKey
	}
	if h.TargetTagValue == "" {
		h.TargetTagValue = DefaultJoinTargetTagValue
	}
	if h.Schedule == "" {
		h.Schedule = DefaultJoinSchedule
	}
}

func (c *Config) validatePerUser() field.List {
	var errs field.List
	p := c.PerUser
	root := field.Path("perUser")
	switch {
	case p == nil && (c.Model == ModelPerUser || c.Model == ModelDomainController):
		errs.Add(field.Required(root, fmt.Sprintf("is required for the %s model: the domain hosts join and where names come from", c.Model)))
		return errs
	case p == nil:
		return nil
	case c.Model == ModelPerRole:
		errs.Add(field.Required(root, "is only read by the per-user and domain-controller models; remove it or change model"))
		return errs
	}

	errs.Extend(p.Domain.validate(root.Child("domain"), c.Model))
	domain := p.Domain.Name
	if p.JoinOU != "" {
		errs.Add(validateJoinOU(root.Child("joinOu"), p.JoinOU, domain))
	}
	switch src := p.UserSource; {
	case !slices.Contains(PerUserAttributes, src) && !extensionAttrRe.MatchString(src):
		errs.Add(field.Invalid(root.Child("userSource"), src,
			fmt.Sprintf("must be an attribute of the person's own profile: %s or extensionAttribute1-15", strings.Join(PerUserAttributes, ", "))))
	case c.Entra != nil && c.Entra.SCIM.SourceAttribute != src:
		errs.Add(field.Invalid(root.Child("userSource"), src,
			fmt.Sprintf("must be the attribute entra.scim.sourceAttribute provisions (%s): set both to the same attribute", c.Entra.SCIM.SourceAttribute)))
	}
	if p.DefaultDomainSuffix != "" {
		sp := root.Child("defaultDomainSuffix")
		switch {
		case !p.FullyQualifiedNames:
			errs.Add(field.Invalid(sp, p.DefaultDomainSuffix, "is only read with fullyQualifiedNames: true; bare names already resolve"))
		case !p.Domain.FromDomainControllerStack && !strings.EqualFold(p.DefaultDomainSuffix, domain):
			errs.Add(field.Invalid(sp, p.DefaultDomainSuffix,
				fmt.Sprintf("must be the joined domain %s: bare Run As names are looked up in it (the Entra UPN suffix is not what hosts search)", domain)))
		}
	}
	if !ValidShell(p.Shell) {
		errs.Add(field.Invalid(root.Child("shell"), p.Shell, "must be an absolute path such as /bin/bash"))
	}

	if len(p.LoginGroups) == 0 {
		errs.Add(field.Required(root.Child("loginGroups"), "is required: at least one AD group whose members land on the hosts"))
	}
	seen := map[string]field.Path{}
	for i, g := range p.LoginGroups {
		errs.Add(validateADGroup(root.Child("loginGroups").Index(i), g, seen))
	}
	seen = map[string]field.Path{}
	for i, s := range p.Sudo {
		sp := root.Child("sudo").Index(i)
		errs.Add(validateADGroup(sp.Child("group"), s.Group, seen))
		errs.Extend(s.Rule.Validate(sp.Child("rule")))
	}

	h := p.Hosts
	hp := root.Child("hosts")
	if !tagKeyRe.MatchString(h.TargetTagKey) {
		errs.Add(field.Invalid(hp.Child("targetTagKey"), h.TargetTagKey, "must be a tag key"))
	}
	if !tagKeyRe.MatchString(h.TargetTagValue) {
		errs.Add(field.Invalid(hp.Child("targetTagValue"), h.TargetTagValue, "must be a tag value"))
	}
	if !scheduleRe.MatchString(h.Schedule) {
		errs.Add(field.Invalid(hp.Child("schedule"), h.Schedule, "must be rate(N minutes|hours|days) or cron(...)"))
	}
	if c.HostAccountsEnabled() && h.TargetTagKey == c.HostAccounts.TargetTagKey && h.TargetTagValue == c.HostAccounts.TargetTagValue {
		errs.Add(field.Invalid(hp.Child("targetTagKey"), h.TargetTagKey, "must differ from hostAccounts' target tag: a host is either joined or carries role accounts"))
	}
	errs.Extend(ValidatePerUserAccess(root.Child("permissionSets"), p.PermissionSets))
	return errs
}

func (d ADDomain) validate(p field.Path, model Model) field.List {
	var errs field.List
	if d.FromDomainControllerStack {
		if model != ModelDomainController {
			errs.Add(field.Invalid(p.Child("fromDomainControllerStack"), true, "is only possible with model domain-controller; name an existing domain instead"))
		}
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"name", d.Name != ""}, {"realm", d.Realm != ""}, {"dnsServers", len(d.DNSServers) > 0},
			{"controllers", len(d.Controllers) > 0}, {"joinSecretArn", d.JoinSecretARN != ""},
		} {
			if f.set {
				errs.Add(field.Required(p.Child(f.name), "must be unset with fromDomainControllerStack: the domain controller stack provides it"))
			}
		}
		return errs
	}
	if d.Name == "" {
		errs.Add(field.Required(p.Child("name"), "is required: the domain's DNS name, e.g. corp.example.com (or fromDomainControllerStack: true)"))
	} else if !ValidDomainName(d.Name) {
		errs.Add(field.Invalid(p.Child("name"), d.Name, "must be the domain's DNS name in lower case, e.g. corp.example.com"))
	}
	if d.Name != "" && d.Realm != strings.ToUpper(d.Name) {
		errs.Add(field.Invalid(p.Child("realm"), d.Realm, "must be the domain name in upper case: an Active Directory domain's Kerberos realm is "+strings.ToUpper(d.Name)))
	}
	if len(d.DNSServers) == 0 {
		errs.Add(field.Required(p.Child("dnsServers"), "is required: the IP addresses of DNS servers that answer for the domain"))
	}
	for i, s := range d.DNSServers {
		if !ValidDNSServer(s) {
			errs.Add(field.Invalid(p.Child("dnsServers").Index(i), s, "must be an IP address"))
		}
	}
	for i, h := range d.Controllers {
		if !ValidDomainName(h) || (d.Name != "" && !strings.HasSuffix(h, "."+d.Name)) {
			errs.Add(field.Invalid(p.Child("controllers").Index(i), h,
				"must be a domain controller's host name in lower case inside the domain, e.g. dc1."+nonEmpty(d.Name, "corp.example.com")))
		}
	}
	if d.JoinSecretARN == "" {
		errs.Add(field.Required(p.Child("joinSecretArn"), "is required: the Secrets Manager secret with the join account"))
	} else if _, ok := SecretARNRegion(d.JoinSecretARN); !ok {
		errs.Add(field.Invalid(p.Child("joinSecretArn"), d.JoinSecretARN, "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)"))
	}
	return errs
}

// validateJoinOU checks the OU's distinguished name: RDNs of plain
// characters, starting with OU= (or CN= for a container), ending with the
// domain's own DC= components.
func validateJoinOU(p field.Path, dn, domain string) *field.Error {
	if len(dn) > maxDistinguishedNameLength {
		return field.Invalid(p, dn, "must be a distinguished name of at most 512 characters")
	}
	rdns := strings.Split(dn, ",")
	var dcs []string
	for i, rdn := range rdns {
		m := dnComponentRe.FindStringSubmatch(strings.TrimSpace(rdn))
		if m == nil {
			return field.Invalid(p, dn, "must be a distinguished name such as OU=Linux,DC=corp,DC=example,DC=com (letters, digits, space, _ . - in each part)")
		}
		isDC := strings.EqualFold(m[1], "DC")
		if i == 0 && isDC {
			return field.Invalid(p, dn, "must name an OU or container inside the domain, not the domain itself")
		}
		if isDC {
			dcs = append(dcs, strings.ToLower(m[2]))
		} else if len(dcs) > 0 {
			return field.Invalid(p, dn, "must list its DC= components last")
		}
	}
	if domain != "" && strings.Join(dcs, ".") != domain {
		return field.Invalid(p, dn, "must end with the domain's components "+BaseDN(domain))
	}
	if domain == "" && len(dcs) == 0 {
		return field.Invalid(p, dn, "must end with the domain's DC= components")
	}
	return nil
}

func validateADGroup(p field.Path, name string, seen map[string]field.Path) *field.Error {
	if !ValidADGroupName(name) {
		return field.Invalid(p, name, "must be an AD group name of at most 64 letters, digits, spaces, _ . - (starting with a letter or digit)")
	}
	key := strings.ToLower(name)
	if other, ok := seen[key]; ok {
		return field.Invalid(p, name, fmt.Sprintf("is also %s (AD group names compare without regard to case)", other))
	}
	seen[key] = p
	return nil
}

// Validate checks a sudo rule: at least one command, each ALL or an
// absolute path with plain arguments, and runAs ALL or a user name. Role
// accounts and AD groups share this one rule; the host scripts call it
// again before writing anything, since what they write runs as root.
func (s Sudo) Validate(p field.Path) field.List {
	var errs field.List
	if len(s.Commands) == 0 {
		errs.Add(field.Required(p.Child("commands"), "is required: ALL or absolute command paths"))
	}
	for k, cmd := range s.Commands {
		if !ValidSudoCommand(cmd) {
			errs.Add(field.Invalid(p.Child("commands").Index(k), cmd, `must be ALL, or an absolute path followed by plain arguments or by "" (no , : = \ * ? [ or newlines)`))
		}
	}
	if s.RunAs != DefaultSudoRunAs && username.Validate(s.RunAs) != nil {
		errs.Add(field.Invalid(p.Child("runAs"), s.RunAs, "must be ALL or a user name"))
	}
	return errs
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// Line renders the rule as one sudoers line for principal (a user name, or
// %group with special characters already escaped): runAs, then the
// NOPASSWD and NOEXEC tags, then the commands. Role accounts and AD groups
// share it, so both read the same way.
func (s Sudo) Line(principal string) string {
	runAs := s.RunAs
	if runAs == "" {
		runAs = DefaultSudoRunAs
	}
	tags := ""
	if s.NoPassword {
		tags += "NOPASSWD: "
	}
	if s.NoExec {
		tags += "NOEXEC: "
	}
	return fmt.Sprintf("%s ALL=(%s) %s%s", principal, runAs, tags, strings.Join(s.Commands, ", "))
}

// ValidatePerUserAccess checks per-user permission sets, named below p: a
// group, a permission set and its assignments each, and no group given the
// same permission set twice (group names compare without regard to case,
// as Entra and Identity Center compare them). Optional fields are judged
// with their defaults. Validate applies it to perUser.permissionSets; the
// per-user program to what it is given.
func ValidatePerUserAccess(p field.Path, access []PerUserAccess) field.List {
	var errs field.List
	seen := map[string]int{}
	for i, a := range access {
		ap := p.Index(i)
		if strings.TrimSpace(a.EntraGroup) == "" {
			errs.Add(field.Required(ap.Child("entraGroup"), "is required: the Entra group's display name"))
		}
		ps := a.PermissionSet // as the configuration holds it: defaults applied
		ps.applyDefaults()
		errs.Extend(ps.validate(ap.Child("permissionSet")))
		errs.Extend(validateAssignments(ap.Child("assignments"), a.Assignments))
		key := strings.ToLower(a.EntraGroup) + "\x00" + a.PermissionSet.DisplayName()
		if j, dup := seen[key]; dup {
			errs.Add(field.Invalid(ap.Child("entraGroup"), a.EntraGroup,
				fmt.Sprintf("already gets permission set %s in %s", a.PermissionSet.DisplayName(), p.Index(j))))
		}
		seen[key] = i
	}
	return errs
}

// ValidDomainName reports whether name is a DNS name in lower case, as an
// Active Directory domain or a domain controller's host name must be.
func ValidDomainName(name string) bool {
	return len(name) <= maxDNSNameLength && domainNameRe.MatchString(name)
}

// ValidDNSServer reports whether s is an IP address without an IPv6 zone
// (netip accepts any text as a zone, and the address reaches a script).
func ValidDNSServer(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// SecretARNRegion returns the region of a Secrets Manager secret ARN; ok is
// false for anything that is not one.
func SecretARNRegion(arn string) (region string, ok bool) {
	m := secretARNRe.FindStringSubmatch(arn)
	if m == nil {
		return "", false
	}
	return m[1], true
}
