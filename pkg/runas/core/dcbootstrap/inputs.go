package dcbootstrap

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

// Domain is what both engines need to build and seed a domain.
type Domain struct {
	// Name is required: the domain's DNS name, e.g. corp.example.com. It
	// must be the seed's domain.
	Name string
	// NetBIOS is required: the short domain name, e.g. CORP (upper case,
	// at most 15 characters).
	NetBIOS string
	// Region is required: the AWS region of the secrets and the status
	// parameter.
	Region string
	// AdminSecretARN is required: the Secrets Manager secret whose
	// SecretString is the directory administrator's password (on Windows
	// also the DSRM password).
	AdminSecretARN string
	// JoinSecretARN is required: the secret holding the join account as
	// JSON, {"awsSeamlessDomainUsername": JoinUser,
	// "awsSeamlessDomainPassword": "..."}, the shape the hosts read.
	JoinSecretARN string
	// JoinUser is required: the join account's sAMAccountName.
	JoinUser string
	// JoinOU is required: the OU the join account may create computer
	// accounts in, relative to the domain (OU=LinuxHosts); one of the
	// seed's OUs.
	JoinOU string
	// StatusParameter is required: the SSM parameter (a name starting with
	// /, not with /aws or /ssm, which SSM reserves) the script sets to its progress: installing, promoting, seeding,
	// complete or failed.
	StatusParameter string
	// Seed is required: the directory's OUs, groups and users.
	Seed directory.Seed
}

// Status values the scripts write to StatusParameter.
const (
	StatusInstalling = "installing"
	StatusPromoting  = "promoting"
	StatusSeeding    = "seeding"
	StatusComplete   = "complete"
	StatusFailed     = "failed"
)

// Join secret keys: the shape AWS's seamless domain join uses, which the
// hosts' join script reads.
const (
	JoinSecretUsernameKey = "awsSeamlessDomainUsername"
	JoinSecretPasswordKey = "awsSeamlessDomainPassword"
)

var (
	netbiosRe = regexp.MustCompile(`^[A-Z][A-Z0-9-]{0,14}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	// secretARNRe is loose on purpose: the ARN comes from the secret the
	// stack creates, and the script quotes it like any value.
	secretARNRe = regexp.MustCompile(`^arn:[A-Za-z0-9-]+:[A-Za-z0-9/_+=.@:,-]{1,1000}$`)
	joinUserRe  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$`)
	paramRe     = regexp.MustCompile(`^/[A-Za-z0-9_./-]{1,1000}$`)
)

// Validate returns every problem of the inputs, or nil.
func (d Domain) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := d.Seed.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("seed: %w", err))
	}
	if d.Name != d.Seed.Domain {
		add("domain %q: must be the seed's domain %q", d.Name, d.Seed.Domain)
	}
	if !netbiosRe.MatchString(d.NetBIOS) {
		add("netbios name %q: must be 1-15 upper-case letters, digits or -, starting with a letter", d.NetBIOS)
	}
	if !regionRe.MatchString(d.Region) {
		add("region %q: must be an AWS region such as eu-west-1", d.Region)
	}
	for _, s := range []struct{ name, arn string }{{"admin secret", d.AdminSecretARN}, {"join secret", d.JoinSecretARN}} {
		if !secretARNRe.MatchString(s.arn) {
			add("%s %q: must be a Secrets Manager secret ARN", s.name, s.arn)
		}
	}
	if !joinUserRe.MatchString(d.JoinUser) {
		add("join user %q: must be a sAMAccountName of at most 20 letters, digits, _ . -", d.JoinUser)
	}
	for _, u := range d.Seed.Users {
		if strings.EqualFold(u.Name, d.JoinUser) {
			add("join user %q: is also a user of the seed; the join account must be an account of its own", d.JoinUser)
		}
	}
	found := false
	for _, ou := range d.Seed.OUs {
		found = found || ou == d.JoinOU
	}
	if !found {
		add("join OU %q: must be one of the seed's OUs (%s)", d.JoinOU, strings.Join(d.Seed.OUs, "; "))
	}
	if !paramRe.MatchString(d.StatusParameter) {
		add("status parameter %q: must be an SSM parameter name starting with /", d.StatusParameter)
	} else if first := strings.ToLower(strings.TrimPrefix(d.StatusParameter, "/")); strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		add("status parameter %q: SSM refuses names that begin with aws or ssm", d.StatusParameter)
	}
	for _, v := range []string{d.Name, d.NetBIOS, d.Region, d.AdminSecretARN, d.JoinSecretARN, d.JoinUser, d.JoinOU, d.StatusParameter} {
		if !plain(v) {
			add("value %q: must not contain control characters", v)
		}
	}
	return errors.Join(errs...)
}

// JoinOUDN is the join OU's full distinguished name.
func (d Domain) JoinOUDN() string { return d.JoinOU + "," + d.Seed.BaseDN() }

// digest identifies a rendering: a changed seed is applied again at the
// next boot even when the last run completed.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
