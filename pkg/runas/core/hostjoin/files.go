package hostjoin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sudoers"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Paths of what the script writes.
const (
	SSSDConfPath  = "/etc/sssd/sssd.conf"
	Krb5ConfPath  = "/etc/krb5.conf"
	Krb5ConfDir   = "/etc/krb5.conf.d"
	SudoersDir    = sudoers.Dir
	HomesPath     = "/usr/local/sbin/ssm-runas-homes"
	HomesUnit     = "ssm-runas-homes"
	SystemdDir    = "/etc/systemd/system"
	HomeDirectory = "/home/%u"
)

// SudoersPrefix starts every drop-in of an AD group. It differs from the
// role-account drop-ins' "ssm-runas-", whose association removes files of
// its own prefix that it does not manage. sudo skips files whose names
// contain '.' or end in '~', so neither appears.
const SudoersPrefix = "ssmrunas-ad-"

// HomesInterval is how often the systemd timer creates missing homes.
const HomesInterval = "5min"

// disabledAccountFilter matches accounts whose userAccountControl has
// ACCOUNTDISABLE (0x2), with the LDAP_MATCHING_RULE_BIT_AND rule.
//
// https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/useraccountcontrol-manipulate-account-properties
const disabledAccountFilter = "(userAccountControl:1.2.840.113556.1.4.803:=2)"

var nonFileChars = regexp.MustCompile(`[^a-z0-9_-]`)

// SudoersFile is the drop-in name of an AD group's rule.
func SudoersFile(group string) string {
	return SudoersPrefix + nonFileChars.ReplaceAllString(strings.ToLower(group), "_")
}

// GroupPrincipal is how sudoers names an AD group as SSSD reports it: in
// lower case (case_sensitive = False), qualified when names are, with
// spaces escaped.
func (s Spec) GroupPrincipal(group string) string {
	name := strings.ToLower(group)
	if s.FullyQualifiedNames {
		name += "@" + s.Domain.Name
	}
	return "%" + strings.ReplaceAll(name, " ", `\ `)
}

// Sudoers renders the drop-in of one AD group's rule.
func (s Spec) Sudoers(r settings.GroupSudo) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Managed by ssm-runas: sudo for members of the AD group %s. Local changes are overwritten.\n", r.Group)
	b.WriteString(r.Rule.Line(s.GroupPrincipal(r.Group)))
	b.WriteString("\n")
	return []byte(b.String())
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// SSSDConf renders /etc/sssd/sssd.conf.
func (s Spec) SSSDConf() []byte {
	d := s.Domain
	var b strings.Builder
	b.WriteString("# Managed by ssm-runas: resolves directory users the way the SSM agent needs.\n")
	b.WriteString("# Local changes are overwritten by the domain join association.\n")
	b.WriteString("[sssd]\nservices = nss, pam\n")
	fmt.Fprintf(&b, "domains = %s\n", d.Name)
	if s.FullyQualifiedNames {
		b.WriteString("# Run As names are bare: look them up in the joined domain.\n")
		fmt.Fprintf(&b, "default_domain_suffix = %s\n", s.DefaultDomainSuffix)
	}
	fmt.Fprintf(&b, "\n[domain/%s]\n", d.Name)
	b.WriteString("id_provider = ad\nauth_provider = ad\nchpass_provider = ad\naccess_provider = ad\n")
	b.WriteString("# sudo rules are files under /etc/sudoers.d, one per AD group.\nsudo_provider = none\n")
	fmt.Fprintf(&b, "ad_domain = %s\nkrb5_realm = %s\n", d.Name, d.Realm)
	if len(d.Controllers) > 0 {
		fmt.Fprintf(&b, "ad_server = %s\n", strings.Join(d.Controllers, ", "))
	}
	b.WriteString("# One domain: search it over LDAP, where the filter below applies.\nad_enable_gc = False\n")
	if s.IDMapping {
		b.WriteString("# uid and gid from each account's SID.\n")
	} else {
		b.WriteString("# uid and gid from the RFC2307 attributes; accounts without them do not resolve.\n")
	}
	fmt.Fprintf(&b, "ldap_id_mapping = %s\n", pyBool(s.IDMapping))
	fmt.Fprintf(&b, "use_fully_qualified_names = %s\n", pyBool(s.FullyQualifiedNames))
	b.WriteString("# Run As tags are lower case and sAMAccountName may not be: compare without\n")
	b.WriteString("# case and report names in lower case, so %u below is the tag.\ncase_sensitive = False\n")
	b.WriteString("# The SSM agent sets HOME=/home/NAME.\n")
	fmt.Fprintf(&b, "override_homedir = %s\n", HomeDirectory)
	fmt.Fprintf(&b, "default_shell = %s\n", s.Shell)
	b.WriteString("# Directory IDs start above local accounts; never 0.\n")
	fmt.Fprintf(&b, "min_id = %d\n", directory.MinID)
	b.WriteString("# Session Manager opens shells without PAM, so the AD access checks never run:\n")
	b.WriteString("# disabled accounts must not resolve at all.\n")
	fmt.Fprintf(&b, "ldap_user_search_base = %s?subtree?(!%s)\n", settings.BaseDN(d.Name), disabledAccountFilter)
	b.WriteString("# Groups listing a disabled member still resolve (the member is left out).\n")
	b.WriteString("ldap_ignore_unreadable_references = True\n")
	b.WriteString("enumerate = False\ncache_credentials = False\ndyndns_update = False\n")
	return []byte(b.String())
}

// Krb5Conf renders /etc/krb5.conf. Reverse DNS and host name
// canonicalization are off: hosts and domain controllers in a VPC rarely
// have PTR records matching their names, and adcli then fails with "Server
// not found in Kerberos database".
func (s Spec) Krb5Conf() []byte {
	d := s.Domain
	var b strings.Builder
	b.WriteString("# Managed by ssm-runas: Kerberos for the domain join and SSSD.\n")
	b.WriteString("# Local changes are overwritten by the domain join association.\n")
	b.WriteString("[libdefaults]\n")
	fmt.Fprintf(&b, "    default_realm = %s\n", d.Realm)
	b.WriteString("    dns_lookup_realm = false\n    dns_lookup_kdc = true\n")
	b.WriteString("    rdns = false\n    dns_canonicalize_hostname = false\n")
	b.WriteString("\n[realms]\n")
	fmt.Fprintf(&b, "    %s = {\n", d.Realm)
	for _, c := range d.Controllers {
		fmt.Fprintf(&b, "        kdc = %s\n", c)
	}
	for _, c := range d.Controllers {
		fmt.Fprintf(&b, "        admin_server = %s\n", c)
	}
	b.WriteString("    }\n\n[domain_realm]\n")
	fmt.Fprintf(&b, "    .%s = %s\n    %s = %s\n", d.Name, d.Realm, d.Name, d.Realm)
	fmt.Fprintf(&b, "\nincludedir %s/\n", Krb5ConfDir)
	return []byte(b.String())
}

// HomesScript renders the helper that creates missing home directories for
// the members of the login and sudo groups.
func (s Spec) HomesScript() []byte {
	groups := s.HomeGroups()
	var b strings.Builder
	b.WriteString(`#!/bin/bash
# Managed by ssm-runas: creates /home/NAME for the directory members of the
# login and sudo groups. Session Manager starts shells without a PAM session,
# so pam_mkhomedir never runs for them. Existing homes are left alone.
set -euo pipefail
umask 022

name_re='` + username.Pattern + `'
min_id=` + strconv.Itoa(directory.MinID) + `

make_home() {
  local name="$1" uid gid home owner
  if ! [[ "$name" =~ $name_re ]] || [ "$name" = root ]; then
    echo "ssm-runas: skipping $name: not a valid Run As name" >&2
    return 0
  fi
  home="/home/$name"
  # The checks the SSM agent makes before it starts a shell.
  if ! uid="$(sh -c "id -u $name" 2>/dev/null)" || ! gid="$(id -g -- "$name" 2>/dev/null)"; then
    echo "ssm-runas: skipping $name: does not resolve" >&2
    return 0
  fi
  if [ "$uid" -lt "$min_id" ] || [ "$gid" -lt "$min_id" ]; then
    echo "ssm-runas: skipping $name: uid $uid or gid $gid is below $min_id" >&2
    return 0
  fi
  if [ -e "$home" ] || [ -L "$home" ]; then
    # A home whose owner no longer exists (the IDs changed, say from ID
    # mapping to RFC2307) goes to the person it is named after; a home of
    # another existing account is left alone.
    owner="$(stat -c %u -- "$home")"
    if [ "$owner" != "$uid" ] && [ -d "$home" ] && ! [ -L "$home" ] && ! getent passwd "$owner" >/dev/null; then
      chown -R -- "$uid:$gid" "$home"
      echo "ssm-runas: $home belonged to uid $owner, which no longer exists; now $name's"
    fi
    return 0
  fi
  install -d -m 0700 -o "$uid" -g "$gid" -- "$home"
  if [ -d /etc/skel ]; then
    cp -R /etc/skel/. "$home/"
    chown -R -- "$uid:$gid" "$home"
  fi
  echo "ssm-runas: created $home"
}

# Members as SSSD lists them: nested groups expanded, disabled accounts left
# out, and NAME@DOMAIN when names are qualified. SSSD may need a moment to go
# online after a restart.
members() {
  local group="$1" entry i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    if entry="$(getent group -- "$group")"; then
      printf '%s\n' "${entry##*:}" | tr ',' '\n'
      return 0
    fi
    [ "$i" = 10 ] || sleep 1
  done
  echo "ssm-runas: group $group does not resolve: is it in the directory?" >&2
}

`)
	b.WriteString("groups=(")
	for i, g := range groups {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(shellQuote(g))
	}
	b.WriteString(`)
for group in "${groups[@]}"; do
  while IFS= read -r member; do
    [ -n "$member" ] || continue
    make_home "${member%%@*}"
  done < <(members "$group")
done
`)
	return []byte(b.String())
}

// HomesService and HomesTimer are the systemd units that run the homes
// helper between association runs.
func HomesService() []byte {
	return []byte(`# Managed by ssm-runas.
[Unit]
Description=ssm-runas: create home directories of directory users
Wants=sssd.service
After=sssd.service

[Service]
Type=oneshot
ExecStart=` + HomesPath + `
`)
}

// HomesTimer runs HomesService every HomesInterval.
func HomesTimer() []byte {
	return []byte(`# Managed by ssm-runas.
[Unit]
Description=ssm-runas: create home directories of new directory users

[Timer]
OnBootSec=1min
OnUnitActiveSec=` + HomesInterval + `

[Install]
WantedBy=timers.target
`)
}

// shellQuote single-quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
