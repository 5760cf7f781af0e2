#!/bin/bash
# Managed by ssm-runas: joins this host to corp.example.com and makes directory users
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

# install_sudoers FILE: installs stdin as /etc/sudoers.d/FILE once visudo accepts
# it; a rule visudo refuses fails with nothing written.
install_sudoers() {
  local file="/etc/sudoers.d/$1" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if ! visudo -cf "$tmp" >/dev/null; then
    rm -f -- "$tmp"
    echo "ssm-runas: refusing an invalid sudo rule for $1" >&2
    return 1
  fi
  if cmp -s -- "$tmp" "$file"; then
    rm -f -- "$tmp"
    echo "ssm-runas: $file is current"
  else
    install -m 0440 -o root -g root -- "$tmp" "$file"
    rm -f -- "$tmp"
    echo "ssm-runas: wrote $file"
  fi
}

# grep reads all of ldconfig's output: with pipefail, grep -q stopping early
# would fail the pipeline on ldconfig's SIGPIPE, now and then.
tools_present() {
  command -v adcli >/dev/null 2>&1 && command -v sssd >/dev/null 2>&1 &&
    command -v sssctl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 &&
    command -v visudo >/dev/null 2>&1 && ldconfig -p | grep 'libnss_sss\.so\.2' >/dev/null &&
    { compgen -G '/usr/lib*/sssd/libsss_ad.so' >/dev/null || compgen -G '/usr/lib/*/sssd/libsss_ad.so' >/dev/null; }
}

install_packages() {
  if command -v dnf >/dev/null 2>&1; then
    dnf install -y sssd sssd-ad sssd-tools adcli krb5-workstation jq sudo unzip
  elif command -v yum >/dev/null 2>&1; then
    yum install -y sssd sssd-ad sssd-tools adcli krb5-workstation jq sudo unzip
  elif command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q sssd-ad sssd-tools adcli krb5-user libnss-sss libpam-sss jq sudo unzip curl
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

# Disabled accounts are hidden by a search filter; SSSD before 2.7 then fails
# every group that lists one (ldap_ignore_unreadable_references is 2.7's).
sssd_version="$(sssd --version)"
case "$sssd_version" in
  1.* | 2.[0-6].*) fail "SSSD $sssd_version is too old: 2.7 or later is needed" ;;
esac

install_aws_cli() {
  local dir arch
  arch="$(uname -m)"
  dir="$(mktemp -d)"
  curl -fsSL -o "$dir/awscliv2.zip" "https://awscli.amazonaws.com/awscli-exe-linux-${arch}.zip"
  unzip -q "$dir/awscliv2.zip" -d "$dir"
  "$dir/aws/install" --update
  rm -rf -- "$dir"
}
command -v aws >/dev/null 2>&1 || install_aws_cli

# The join account, read with this instance's credentials (instance profile).
read_join_secret() {
  aws secretsmanager get-secret-value --region 'eu-west-1' --secret-id 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-join-Ab12Cd' --query SecretString --output text
}

# NetBIOS limits computer names to 15 characters: longer host names (such
# as resource names, i-0123456789abcdef0) use the instance id's last 14.
computer_name() {
  local short token id
  short="$(hostname -s)"
  if [ "${#short}" -le 15 ]; then
    echo "${short^^}"
    return 0
  fi
  token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)" ||
    fail "host name $short is longer than 15 characters and the instance metadata is not reachable"
  id="$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)"
  id="${id#i-}"
  echo "I${id: -14}" | tr '[:lower:]' '[:upper:]'
}

# Everything a join needs is checked before anything is written, so a host
# that cannot join is left as it was.
join_user=""
if adcli testjoin --domain='corp.example.com' >/dev/null 2>&1; then
  log "already joined to corp.example.com"
else
  adcli info 'corp.example.com' >/dev/null ||
    fail "cannot find a domain controller of corp.example.com: the VPC's DNS must answer for the domain (DHCP options or a Route 53 Resolver rule forwarding it to 10.20.0.10 10.20.1.10)"
  read_join_secret >/dev/null ||
    fail "cannot read the join secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-join-Ab12Cd (the reason is above): it must exist in eu-west-1, and this instance's role needs secretsmanager:GetSecretValue on it (and kms:Decrypt through Secrets Manager when a customer managed key encrypts it)"
  join_user="$(read_join_secret | jq -er 'if (.awsSeamlessDomainUsername | type) == "string" and (.awsSeamlessDomainUsername | length) > 0 and (.awsSeamlessDomainPassword | type) == "string" and (.awsSeamlessDomainPassword | length) > 0 then .awsSeamlessDomainUsername else error("the join secret lacks a key") end')" ||
    fail "the join secret arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/domain-join-Ab12Cd must be JSON with awsSeamlessDomainUsername and awsSeamlessDomainPassword"
  computer="$(computer_name)"
fi

# The password goes from the secret through jq to adcli in pipes only.
join_domain() {
  local trace=0
  case $- in *x*) trace=1 ;; esac
  { set +x; } 2>/dev/null
  if ! read_join_secret | jq -j '.awsSeamlessDomainPassword' | adcli join --domain='corp.example.com' --domain-realm='CORP.EXAMPLE.COM' \
      --login-user="$join_user" --stdin-password --computer-name="$computer" \
      --host-fqdn="${computer,,}.corp.example.com" \
      --domain-ou='OU=Linux,OU=Servers,DC=corp,DC=example,DC=com'; then
    fail "joining corp.example.com as $computer with $join_user failed (adcli's reason is above)"
  fi
  if [ "$trace" = 1 ]; then set -x; fi
  log "joined corp.example.com as $computer"
}

# Kerberos: adcli and SSSD read it.
install -d -m 0755 /etc/krb5.conf.d
install_file /etc/krb5.conf 0644 <<'SSM_RUNAS_EOF' || true
# Managed by ssm-runas: Kerberos for the domain join and SSSD.
# Local changes are overwritten by the domain join association.
[libdefaults]
    default_realm = CORP.EXAMPLE.COM
    dns_lookup_realm = false
    dns_lookup_kdc = true
    rdns = false
    dns_canonicalize_hostname = false

[realms]
    CORP.EXAMPLE.COM = {
    }

[domain_realm]
    .corp.example.com = CORP.EXAMPLE.COM
    corp.example.com = CORP.EXAMPLE.COM

includedir /etc/krb5.conf.d/
SSM_RUNAS_EOF

joined=0
if [ -n "$join_user" ]; then
  join_domain
  joined=1
fi

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
if install_file /etc/sssd/sssd.conf 0600 <<'SSM_RUNAS_EOF'
# Managed by ssm-runas: resolves directory users the way the SSM agent needs.
# Local changes are overwritten by the domain join association.
[sssd]
services = nss, pam
domains = corp.example.com
# Run As names are bare: look them up in the joined domain.
default_domain_suffix = corp.example.com

[domain/corp.example.com]
id_provider = ad
auth_provider = ad
chpass_provider = ad
access_provider = ad
# sudo rules are files under /etc/sudoers.d, one per AD group.
sudo_provider = none
ad_domain = corp.example.com
krb5_realm = CORP.EXAMPLE.COM
# One domain: search it over LDAP, where the filter below applies.
ad_enable_gc = False
# uid and gid from each account's SID.
ldap_id_mapping = True
use_fully_qualified_names = True
# Run As tags are lower case and sAMAccountName may not be: compare without
# case and report names in lower case, so %u below is the tag.
case_sensitive = False
# The SSM agent sets HOME=/home/NAME.
override_homedir = /home/%u
default_shell = /bin/bash
# Directory IDs start above local accounts; never 0.
min_id = 1000
# Session Manager opens shells without PAM, so the AD access checks never run:
# disabled accounts must not resolve at all.
ldap_user_search_base = DC=corp,DC=example,DC=com?subtree?(!(userAccountControl:1.2.840.113556.1.4.803:=2))
# Groups listing a disabled member still resolve (the member is left out).
ldap_ignore_unreadable_references = True
enumerate = False
cache_credentials = False
dyndns_update = False
SSM_RUNAS_EOF
then
  sssd_changed=1
fi
sssctl config-check >/dev/null || fail "sssctl config-check refuses /etc/sssd/sssd.conf"
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

# sudo from AD groups; drop-ins of groups no longer configured are removed.
install_sudoers ssmrunas-ad-linux-admins <<'SSM_RUNAS_EOF'
# Managed by ssm-runas: sudo for members of the AD group Linux-Admins. Local changes are overwritten.
%linux-admins@corp.example.com ALL=(ALL) NOPASSWD: ALL
SSM_RUNAS_EOF
install_sudoers ssmrunas-ad-db_operators <<'SSM_RUNAS_EOF'
# Managed by ssm-runas: sudo for members of the AD group DB Operators. Local changes are overwritten.
%db\ operators@corp.example.com ALL=(ALL) NOPASSWD: NOEXEC: /usr/bin/systemctl restart postgresql, /usr/bin/journalctl --no-pager -u postgresql
SSM_RUNAS_EOF
for file in /etc/sudoers.d/ssmrunas-ad-*; do
  [ -e "$file" ] || continue
  case "${file##*/}" in
    ssmrunas-ad-db_operators | ssmrunas-ad-linux-admins) ;;
    *)
      rm -f -- "$file"
      log "removed $file"
      ;;
  esac
done

# Home directories: created here and by a timer, since no PAM session runs.
install_file /usr/local/sbin/ssm-runas-homes 0755 <<'SSM_RUNAS_EOF' || true
#!/bin/bash
# Managed by ssm-runas: creates /home/NAME for the directory members of the
# login and sudo groups. Session Manager starts shells without a PAM session,
# so pam_mkhomedir never runs for them. Existing homes are left alone.
set -euo pipefail
umask 022

name_re='^[a-z_][a-z0-9_-]{0,31}$'
min_id=1000

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

groups=('db operators' 'linux-admins' 'linux-users')
for group in "${groups[@]}"; do
  while IFS= read -r member; do
    [ -n "$member" ] || continue
    make_home "${member%%@*}"
  done < <(members "$group")
done
SSM_RUNAS_EOF
units=0
if install_file /etc/systemd/system/ssm-runas-homes.service 0644 <<'SSM_RUNAS_EOF'
# Managed by ssm-runas.
[Unit]
Description=ssm-runas: create home directories of directory users
Wants=sssd.service
After=sssd.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ssm-runas-homes
SSM_RUNAS_EOF
then units=1; fi
if install_file /etc/systemd/system/ssm-runas-homes.timer 0644 <<'SSM_RUNAS_EOF'
# Managed by ssm-runas.
[Unit]
Description=ssm-runas: create home directories of new directory users

[Timer]
OnBootSec=1min
OnUnitActiveSec=5min

[Install]
WantedBy=timers.target
SSM_RUNAS_EOF
then units=1; fi
if [ "$units" = 1 ]; then systemctl daemon-reload; fi
systemctl enable --now ssm-runas-homes.timer
/usr/local/sbin/ssm-runas-homes
log "done"
