package hostjoin

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Domain is the directory a host joins, resolved: from the configuration
// for an existing domain, or from the domain controller stack's outputs.
type Domain struct {
	// Name is required: the DNS name in lower case.
	Name string
	// Realm is required: the name in upper case.
	Realm string
	// Controllers are optional host names of domain controllers; without
	// them Kerberos, adcli and SSSD find them through DNS SRV records.
	Controllers []string
	// DNSServers are the domain's DNS servers, named in the message a host
	// prints when it cannot find the domain.
	DNSServers []string
}

// Credential says where the join account comes from. Exactly one field is
// set.
type Credential struct {
	// SecretARN is the Secrets Manager secret, read with the AWS CLI and
	// the instance's own credentials.
	SecretARN string
	// File is a local file holding the same JSON: for tests and for hosts
	// prepared by hand. The association always uses SecretARN.
	File string
}

// Spec is everything the join script ensures.
type Spec struct {
	Domain Domain
	// JoinOU is optional: the full distinguished name of the OU.
	JoinOU string
	// Credential is required.
	Credential Credential
	// IDMapping selects ldap_id_mapping; false reads RFC2307 attributes.
	IDMapping bool
	// FullyQualifiedNames makes SSSD name users NAME@DOMAIN; bare names then
	// resolve through DefaultDomainSuffix, which must be the domain.
	FullyQualifiedNames bool
	DefaultDomainSuffix string
	// Shell is the shell of accounts without loginShell.
	Shell string
	// LoginGroups are the AD groups whose members get home directories.
	LoginGroups []string
	// Sudo are the sudo rules of AD groups (their members get homes too).
	Sudo []settings.GroupSudo
	// InstallPackages installs what is missing with the distribution's
	// package manager. False only checks (tests; images built with them).
	InstallPackages bool
}

// ExistingDomain resolves the configured domain when it is an existing one.
func ExistingDomain(d settings.ADDomain) (Domain, error) {
	if d.FromDomainControllerStack {
		return Domain{}, errors.New("the domain comes from the domain controller stack: resolve it from the stack's outputs")
	}
	return Domain{Name: d.Name, Realm: d.Realm, Controllers: d.Controllers, DNSServers: d.DNSServers}, nil
}

// FromSettings builds the spec the association runs from the perUser
// section and the resolved domain (see ExistingDomain). The join secret is
// the configured one, or secretARN for a domain the stack builds.
func FromSettings(p *settings.PerUser, d Domain, secretARN string) Spec {
	if secretARN == "" {
		secretARN = p.Domain.JoinSecretARN
	}
	suffix := p.DefaultDomainSuffix
	if p.FullyQualifiedNames && suffix == "" {
		suffix = d.Name
	}
	return Spec{
		Domain:              d,
		JoinOU:              p.JoinOU,
		Credential:          Credential{SecretARN: secretARN},
		IDMapping:           p.IDMappingEnabled(),
		FullyQualifiedNames: p.FullyQualifiedNames,
		DefaultDomainSuffix: suffix,
		Shell:               p.Shell,
		LoginGroups:         p.LoginGroups,
		Sudo:                p.Sudo,
		InstallPackages:     true,
	}
}

var (
	joinOURe   = regexp.MustCompile(`^(?i)(OU|CN)=[A-Za-z0-9][A-Za-z0-9 _.-]*(,(OU|CN|DC)=[A-Za-z0-9][A-Za-z0-9 _.-]*)+$`)
	filePathRe = regexp.MustCompile(`^/[A-Za-z0-9_./-]+$`)
)

// Validate checks again what the configuration checked, since what the
// script writes runs as root on every joined host.
func (s Spec) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	d := s.Domain
	if !settings.ValidDomainName(d.Name) {
		add("domain %q: must be a DNS name in lower case", d.Name)
	}
	if d.Realm != strings.ToUpper(d.Name) {
		add("realm %q: must be the domain name in upper case", d.Realm)
	}
	for _, c := range d.Controllers {
		if !settings.ValidDomainName(c) || !strings.HasSuffix(c, "."+d.Name) {
			add("controller %q: must be a host name inside %s", c, d.Name)
		}
	}
	for _, a := range d.DNSServers {
		// The servers are named inside a message the script prints.
		if !settings.ValidDNSServer(a) {
			add("dns server %q: must be an IP address without a zone", a)
		}
	}
	if s.JoinOU != "" && !joinOURe.MatchString(s.JoinOU) {
		add("join OU %q: must be a distinguished name of plain characters", s.JoinOU)
	}
	switch c := s.Credential; {
	case (c.SecretARN == "") == (c.File == ""):
		add("credential: set exactly one of the secret ARN and the file")
	case c.SecretARN != "" && !validSecretARN(c.SecretARN):
		add("credential secret %q: must be a Secrets Manager secret ARN", c.SecretARN)
	case c.File != "" && !filePathRe.MatchString(c.File):
		add("credential file %q: must be an absolute path of plain characters", c.File)
	}
	if s.FullyQualifiedNames && s.DefaultDomainSuffix != d.Name {
		add("default domain suffix %q: must be %s, or bare Run As names do not resolve", s.DefaultDomainSuffix, d.Name)
	}
	if !s.FullyQualifiedNames && s.DefaultDomainSuffix != "" {
		add("default domain suffix %q: only with fully qualified names", s.DefaultDomainSuffix)
	}
	if !settings.ValidShell(s.Shell) {
		add("shell %q: must be an absolute path", s.Shell)
	}
	if len(s.LoginGroups) == 0 {
		add("login groups: at least one is required")
	}
	for _, g := range s.LoginGroups {
		if !settings.ValidADGroupName(g) {
			add("login group %q: must be an AD group name", g)
		}
	}
	files := map[string]string{}
	for i, r := range s.Sudo {
		if !settings.ValidADGroupName(r.Group) {
			add("sudo group %q: must be an AD group name", r.Group)
			continue
		}
		for _, e := range r.Rule.Validate(field.Path("sudo").Index(i).Child("rule")) {
			add("sudo group %q: %w", r.Group, e)
		}
		f := SudoersFile(r.Group)
		if other, ok := files[f]; ok {
			add("sudo group %q: its drop-in %s is also %q's", r.Group, f, other)
		}
		files[f] = r.Group
	}
	return errors.Join(errs...)
}

// SecretRegion is the region of the join secret, taken from its ARN.
func (c Credential) SecretRegion() string {
	region, _ := settings.SecretARNRegion(c.SecretARN)
	return region
}

func validSecretARN(arn string) bool {
	_, ok := settings.SecretARNRegion(arn)
	return ok
}

// HomeGroups are the groups whose members get home directories: the login
// groups and the sudo groups, each once, in lower case (as SSSD names
// them), sorted.
func (s Spec) HomeGroups() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range s.LoginGroups {
		seen[strings.ToLower(g)] = true
	}
	for _, r := range s.Sudo {
		seen[strings.ToLower(r.Group)] = true
	}
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}
