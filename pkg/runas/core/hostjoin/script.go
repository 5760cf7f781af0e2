package hostjoin

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sudoers"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Packages the script installs, per package manager.
var (
	// RPMPackages are for Amazon Linux 2023, Amazon Linux 2 and the RHEL
	// family (dnf or yum).
	RPMPackages = []string{"sssd", "sssd-ad", "sssd-tools", "adcli", "krb5-workstation", "jq", "sudo", "unzip"}
	// DebPackages are for Debian and Ubuntu (apt).
	DebPackages = []string{"sssd-ad", "sssd-tools", "adcli", "krb5-user", "libnss-sss", "libpam-sss", "jq", "sudo", "unzip", "curl"}
)

// awsCLIURL is the AWS CLI v2 installer, used where no AWS CLI is installed
// (Debian and Ubuntu images, RHEL).
//
// https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html
const awsCLIURL = "https://awscli.amazonaws.com/awscli-exe-linux-${arch}.zip"

// maxComputerNameLength is the NetBIOS limit of computer account names.
const maxComputerNameLength = 15

// heredocEnd closes every file the script writes; Script refuses content
// holding it.
const heredocEnd = "SSM_RUNAS_EOF"

// Script renders the idempotent bash script the join association runs.
func Script(s Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("building the domain join script: %w", err)
	}
	d := s.Domain
	dcOpt := ""
	if len(d.Controllers) > 0 {
		dcOpt = " --domain-controller=" + shellQuote(d.Controllers[0])
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	b.WriteString(`#!/bin/bash
# Managed by ssm-runas: joins this host to ` + d.Name + ` and makes directory users
# resolve the way Session Manager's Run As needs (see docs/per-user.md).
# Safe to run any number of times. The join password is read at run time and
# passes through pipes only: never an argument, a variable or output.
set -euo pipefail
umask 077
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin"

log() { echo "ssm-runas: $*"; }
fail() {
  echo "ssm-runas: $*" >&2
  exit 1
}

# install_file PATH MODE: writes stdin to PATH when it differs; true when it
# wrote.
install_file() {
  local path="$1" mode="$2" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if cmp -s -- "$tmp" "$path"; then
    rm -f -- "$tmp"
    log "$path is current"
    return 1
  fi
  install -D -m "$mode" -o root -g root -- "$tmp" "$path"
  rm -f -- "$tmp"
  log "wrote $path"
}

` + sudoers.InstallFunction + `
# grep reads all of ldconfig's output: with pipefail, grep -q stopping early
# would fail the pipeline on ldconfig's SIGPIPE, now and then.
tools_present() {
  command -v adcli >/dev/null 2>&1 && command -v sssd >/dev/null 2>&1 &&
    command -v sssctl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 &&
    command -v visudo >/dev/null 2>&1 && ldconfig -p | grep 'libnss_sss\.so\.2' >/dev/null &&
    { compgen -G '/usr/lib*/sssd/libsss_ad.so' >/dev/null || compgen -G '/usr/lib/*/sssd/libsss_ad.so' >/dev/null; }
}

`)
	if s.InstallPackages {
		w(`install_packages() {
  if command -v dnf >/dev/null 2>&1; then
    dnf install -y %[1]s
  elif command -v yum >/dev/null 2>&1; then
    yum install -y %[1]s
  elif command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q %[2]s
  else
    fail "no dnf, yum or apt-get: this distribution is not supported"
  fi
}

if tools_present; then
  log "sssd, adcli and jq are installed"
else
  install_packages
  tools_present || fail "the packages installed but sssd, adcli or jq is still missing"
fi
`, strings.Join(RPMPackages, " "), strings.Join(DebPackages, " "))
	} else {
		w(`tools_present || fail "install first: %s (dnf/yum), or %s (apt)"
`, strings.Join(RPMPackages, " "), strings.Join(DebPackages, " "))
	}

	b.WriteString(`
# Disabled accounts are hidden by a search filter; SSSD before 2.7 then fails
# every group that lists one (ldap_ignore_unreadable_references is 2.7's).
sssd_version="$(sssd --version)"
case "$sssd_version" in
  1.* | 2.[0-6].*) fail "SSSD $sssd_version is too old: 2.7 or later is needed" ;;
esac
`)

	if arn := s.Credential.SecretARN; arn != "" {
		if s.InstallPackages {
			w(`
install_aws_cli() {
  local dir arch
  arch="$(uname -m)"
  dir="$(mktemp -d)"
  curl -fsSL -o "$dir/awscliv2.zip" "%s"
  unzip -q "$dir/awscliv2.zip" -d "$dir"
  "$dir/aws/install" --update
  rm -rf -- "$dir"
}
command -v aws >/dev/null 2>&1 || install_aws_cli
`, awsCLIURL)
		} else {
			b.WriteString("\ncommand -v aws >/dev/null 2>&1 || fail \"the AWS CLI is required to read the join secret\"\n")
		}
		w(`
# The join account, read with this instance's credentials (instance profile).
read_join_secret() {
  aws secretsmanager get-secret-value --region %s --secret-id %s --query SecretString --output text
}
`, shellQuote(s.Credential.SecretRegion()), shellQuote(arn))
	} else {
		w(`
# The join account, from a file prepared on this host.
read_join_secret() {
  cat -- %s
}
`, shellQuote(s.Credential.File))
	}
	source, readHint := s.Credential.describe()

	dnsHint := "DHCP options or a Route 53 Resolver rule"
	if len(d.DNSServers) > 0 {
		dnsHint += " forwarding it to " + strings.Join(d.DNSServers, " ")
	}
	ouOpt := ""
	if s.JoinOU != "" {
		ouOpt = " \\\n      --domain-ou=" + shellQuote(s.JoinOU)
	}
	w(`
# NetBIOS limits computer names to %[1]d characters: longer host names (such
# as resource names, i-0123456789abcdef0) use the instance id's last %[2]d.
computer_name() {
  local short token id
  short="$(hostname -s)"
  if [ "${#short}" -le %[1]d ]; then
    echo "${short^^}"
    return 0
  fi
  token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)" ||
    fail "host name $short is longer than %[1]d characters and the instance metadata is not reachable"
  id="$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)"
  id="${id#i-}"
  echo "I${id: -%[2]d}" | tr '[:lower:]' '[:upper:]'
}

# Everything a join needs is checked before anything is written, so a host
# that cannot join is left as it was.
join_user=""
if adcli testjoin --domain=%[4]s%[3]s >/dev/null 2>&1; then
  log "already joined to %[11]s"
else
  adcli info%[3]s %[4]s >/dev/null ||
    fail "cannot find a domain controller of %[11]s: the VPC's DNS must answer for the domain (%[5]s)"
  read_join_secret >/dev/null ||
    fail "cannot read %[13]s (the reason is above): %[14]s"
  join_user="$(read_join_secret | jq -er %[6]s)" ||
    fail "%[13]s must be JSON with %[7]s and %[8]s"
  computer="$(computer_name)"
fi

# The password goes from the secret through jq to adcli in pipes only.
join_domain() {
  local trace=0
  case $- in *x*) trace=1 ;; esac
  { set +x; } 2>/dev/null
  if ! read_join_secret | jq -j %[9]s | adcli join --domain=%[4]s --domain-realm=%[10]s%[3]s \
      --login-user="$join_user" --stdin-password --computer-name="$computer" \
      --host-fqdn="${computer,,}.%[11]s"%[12]s; then
    fail "joining %[11]s as $computer with $join_user failed (adcli's reason is above)"
  fi
  if [ "$trace" = 1 ]; then set -x; fi
  log "joined %[11]s as $computer"
}
`, maxComputerNameLength, maxComputerNameLength-1, dcOpt, shellQuote(d.Name), dnsHint,
		shellQuote(joinUserFilter), settings.JoinSecretUsernameKey, settings.JoinSecretPasswordKey,
		shellQuote("."+settings.JoinSecretPasswordKey), shellQuote(d.Realm), d.Name, ouOpt, source, readHint)

	w(`
# Kerberos: adcli and SSSD read it.
install -d -m 0755 %s
install_file %s 0644 <<'%s' || true
%s%s

joined=0
if [ -n "$join_user" ]; then
  join_domain
  joined=1
fi
`, Krb5ConfDir, Krb5ConfPath, heredocEnd, s.Krb5Conf(), heredocEnd)

	w(`
# Directory users through NSS.
if command -v authselect >/dev/null 2>&1 && authselect current >/dev/null 2>&1; then
  case "$(authselect current --raw)" in
    sssd*) log "authselect uses sssd" ;;
    *) authselect select sssd --force ;;
  esac
elif ! grep -Eq '^passwd:.*[[:space:]]sss([[:space:]]|$)' /etc/nsswitch.conf ||
  ! grep -Eq '^group:.*[[:space:]]sss([[:space:]]|$)' /etc/nsswitch.conf; then
  sed -i -E '/^(passwd|group):/{/[[:space:]]sss([[:space:]]|$)/!s/[[:space:]]*$/ sss/}' /etc/nsswitch.conf
  log "added sss to passwd and group in /etc/nsswitch.conf"
fi

sssd_changed=0
mkdir -p /etc/sssd/conf.d
if install_file %[1]s 0600 <<'%[2]s'
%[3]s%[2]s
then
  sssd_changed=1
fi
sssctl config-check >/dev/null || fail "sssctl config-check refuses %[1]s"
if [ "$sssd_changed" = 1 ] || [ "$joined" = 1 ]; then
  # IDs may have changed (ID mapping or RFC2307): start from an empty cache.
  systemctl stop sssd || true
  rm -f /var/lib/sss/db/cache_*.ldb /var/lib/sss/db/timestamps_*.ldb /var/lib/sss/mc/*
  systemctl enable sssd
  systemctl start sssd
  log "restarted sssd"
elif ! systemctl is-active --quiet sssd; then
  systemctl enable sssd
  systemctl start sssd
  log "started sssd"
fi
`, SSSDConfPath, heredocEnd, s.SSSDConf())

	b.WriteString("\n# sudo from AD groups; drop-ins of groups no longer configured are removed.\n")
	keep := make([]string, 0, len(s.Sudo))
	for _, r := range s.Sudo {
		f := SudoersFile(r.Group)
		keep = append(keep, f)
		w("install_sudoers %s <<'%s'\n%s%s\n", f, heredocEnd, s.Sudoers(r), heredocEnd)
	}
	sort.Strings(keep)
	w("for file in %s/%s*; do\n", SudoersDir, SudoersPrefix)
	b.WriteString("  [ -e \"$file\" ] || continue\n  case \"${file##*/}\" in\n")
	if len(keep) > 0 {
		w("    %s) ;;\n", strings.Join(keep, " | "))
	}
	b.WriteString("    *)\n      rm -f -- \"$file\"\n      log \"removed $file\"\n      ;;\n  esac\ndone\n")

	w(`
# Home directories: created here and by a timer, since no PAM session runs.
install_file %[1]s 0755 <<'%[2]s' || true
%[3]s%[2]s
units=0
if install_file %[4]s/%[5]s.service 0644 <<'%[2]s'
%[6]s%[2]s
then units=1; fi
if install_file %[4]s/%[5]s.timer 0644 <<'%[2]s'
%[7]s%[2]s
then units=1; fi
if [ "$units" = 1 ]; then systemctl daemon-reload; fi
systemctl enable --now %[5]s.timer
%[1]s
log "done"
`, HomesPath, heredocEnd, s.HomesScript(), SystemdDir, HomesUnit, HomesService(), HomesTimer())

	out := b.String()
	if strings.Count(out, heredocEnd) != 2*heredocs(s) {
		return nil, fmt.Errorf("building the domain join script: a rendered file contains %s", heredocEnd)
	}
	if strings.Contains(out, "{{") {
		return nil, errors.New("building the domain join script: it contains {{, which SSM would read as a document parameter")
	}
	return []byte(out), nil
}

// describe names the credential's source in the script's messages, and
// what a host needs to read it.
func (c Credential) describe() (source, readHint string) {
	if c.SecretARN != "" {
		return "the join secret " + c.SecretARN,
			"it must exist in " + c.SecretRegion() + ", and this instance's role needs secretsmanager:GetSecretValue on it " +
				"(and kms:Decrypt through Secrets Manager when a customer managed key encrypts it)"
	}
	return "the join account file " + c.File, "it must exist and be readable by root"
}

// heredocs counts the files Script writes through heredocs.
func heredocs(s Spec) int { return 5 + len(s.Sudo) }

// joinUserFilter prints the join account's name and checks, without
// printing it, that the password is there too.
var joinUserFilter = `if (.` + settings.JoinSecretUsernameKey + ` | type) == "string" and (.` + settings.JoinSecretUsernameKey + ` | length) > 0` +
	` and (.` + settings.JoinSecretPasswordKey + ` | type) == "string" and (.` + settings.JoinSecretPasswordKey + ` | length) > 0` +
	` then .` + settings.JoinSecretUsernameKey + ` else error("the join secret lacks a key") end`
