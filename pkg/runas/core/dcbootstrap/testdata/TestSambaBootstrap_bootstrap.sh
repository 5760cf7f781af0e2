#!/bin/bash
# Managed by ssm-runas: builds a Samba AD domain controller and seeds its directory.
# Safe to run again: what is in place is left as it is.
set -Eeuo pipefail

DOMAIN='samdom.example.com'
REALM='SAMDOM.EXAMPLE.COM'
NETBIOS='SAMDOM'
REGION='eu-west-1'
ADMIN_SECRET_ARN='arn:aws:secretsmanager:eu-west-1:111122223333:secret:ssm-runas/dc/admin-AbCdEf'
JOIN_SECRET_ARN='arn:aws:secretsmanager:eu-west-1:111122223333:secret:ssm-runas/dc/join-GhIjKl'
JOIN_USER='ssm-runas-join'
JOIN_OU='OU=LinuxHosts,OU=Servers,DC=samdom,DC=example,DC=com'
STATUS_PARAMETER='/runas/domain-controller/status'
HOST_NAME='dc1'
HOST_IP=''
INTERFACES=''
STATE_DIR=''
LOG='/var/log/ssm-runas/domain-controller.log'
AMAZON_DNS='169.254.169.253'
PACKAGES=(samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind krb5-user ldb-tools jq awscli)
JOIN_ACES=(
  '(OA;CI;CCDC;bf967a86-0de6-11d0-a285-00aa003049e2;;SID)'
  '(OA;CIIO;RPWPLCRC;;bf967a86-0de6-11d0-a285-00aa003049e2;SID)'
  '(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967a86-0de6-11d0-a285-00aa003049e2;SID)'
  '(OA;CIIO;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;bf967a86-0de6-11d0-a285-00aa003049e2;SID)'
  '(OA;CIIO;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;bf967a86-0de6-11d0-a285-00aa003049e2;SID)'
  '(OA;CIIO;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;bf967a86-0de6-11d0-a285-00aa003049e2;SID)'
)

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) ssm-runas: $*"
  mkdir -p "$(dirname "$LOG")"
  echo "$line" >>"$LOG"
  echo "$line"
}

# status records progress where the stack and the audit read it; a failure
# to record it is logged, never fatal.
status() {
  if ! aws ssm put-parameter --region "$REGION" --name "$STATUS_PARAMETER" --type String --overwrite --value "$1" >/dev/null; then
    log "could not record the status $1 in $STATUS_PARAMETER"
  fi
}

# secret prints a secret's value; callers keep it in variables, never in logs.
secret() {
  aws secretsmanager get-secret-value --region "$REGION" --secret-id "$1" --query SecretString --output text
}

failed() {
  log "failed at line $1"
  status failed
}
trap 'failed $LINENO' ERR

install_packages() {
  if command -v samba-tool >/dev/null && command -v aws >/dev/null && command -v jq >/dev/null; then
    log "samba, the AWS CLI and jq are installed"
    return
  fi
  log "installing ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
}

provision() {
  local private=/var/lib/samba/private
  if [ -n "$STATE_DIR" ]; then
    private="$STATE_DIR/private"
  fi
  if [ -f "$private/sam.ldb" ]; then
    log "the domain $DOMAIN is provisioned"
    return
  fi
  status promoting
  log "provisioning the domain $DOMAIN ($NETBIOS) as $HOST_NAME"
  local args=(--realm="$REALM" --domain="$NETBIOS" --server-role=dc --dns-backend=SAMBA_INTERNAL
    --host-name="$HOST_NAME" --use-rfc2307 --option="dns forwarder = $AMAZON_DNS")
  if [ -n "$HOST_IP" ]; then
    args+=(--host-ip="$HOST_IP")
  fi
  if [ -n "$INTERFACES" ]; then
    args+=(--option="interfaces = $INTERFACES" --option="bind interfaces only = yes")
  fi
  if [ -n "$STATE_DIR" ]; then
    args+=(--targetdir="$STATE_DIR")
  else
    # provision writes its own smb.conf and refuses to overwrite the package's.
    rm -f /etc/samba/smb.conf
  fi
  local password
  password="$(secret "$ADMIN_SECRET_ARN")"
  samba-tool domain provision "${args[@]}" --adminpass="$password" >/dev/null
  if [ -n "$STATE_DIR" ]; then
    install -D -m 0644 "$STATE_DIR/etc/smb.conf" /etc/samba/smb.conf
  fi
  if [ ! -f /etc/krb5.conf ] || ! grep -q "$REALM" /etc/krb5.conf; then
    install -m 0644 "$private/krb5.conf" /etc/krb5.conf
  fi
  log "provisioned $DOMAIN"
}

start_samba() {
  if [ -d /run/systemd/system ]; then
    systemctl disable --now smbd nmbd winbind >/dev/null 2>&1 || true
    systemctl unmask samba-ad-dc >/dev/null
    systemctl enable --now samba-ad-dc >/dev/null
  elif ! pgrep -x samba >/dev/null; then
    # Without systemd (a container), samba runs as its own daemon.
    samba -D
  fi
  local port
  for port in 53 88 389; do
    for _ in $(seq 600); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "samba does not listen on port $port"
      return 1
    fi
  done
  log "samba answers on 53, 88 and 389"
}

# join_account creates the account hosts join with, or sets its password
# from the secret again (a rotated secret takes effect), and grants it its
# rights on the join OU only.
join_account() {
  local join user password sid acl ace
  join="$(secret "$JOIN_SECRET_ARN")"
  user="$(jq -r '.awsSeamlessDomainUsername' <<<"$join")"
  password="$(jq -r '.awsSeamlessDomainPassword' <<<"$join")"
  if [ "$user" != "$JOIN_USER" ]; then
    log "the join secret names another account than $JOIN_USER"
    return 1
  fi
  if samba-tool user show "$JOIN_USER" >/dev/null 2>&1; then
    samba-tool user setpassword "$JOIN_USER" --newpassword="$password" >/dev/null
    log "join account exists, password set from the join secret: $JOIN_USER"
  else
    samba-tool user create "$JOIN_USER" "$password" --description="ssm-runas: joins Linux hosts to the domain" >/dev/null
    log "join account created: $JOIN_USER"
  fi
  samba-tool user setexpiry "$JOIN_USER" --noexpiry >/dev/null
  sid="$(samba-tool user show "$JOIN_USER" --attributes=objectSid | sed -n 's/^objectSid: //p')"
  acl="$(samba-tool dsacl get --objectdn="$JOIN_OU")"
  for ace in "${JOIN_ACES[@]}"; do
    ace="${ace/SID/$sid}"
    if grep -qiF -- "$ace" <<<"$acl"; then
      log "$JOIN_USER already has $ace on $JOIN_OU"
    else
      samba-tool dsacl set --objectdn="$JOIN_OU" --action=allow --sddl="$ace" >/dev/null
      log "granted $ace on $JOIN_OU to $JOIN_USER"
    fi
  done
}

write_seed() {
  cat >"$1" <<'SSM_RUNAS_SEED_EOF'
#!/bin/bash
# Managed by ssm-runas: seeds the directory of a Samba AD domain controller.
# Safe to run again: existing objects are left as they are.
set -euo pipefail

ensure_ou() {
  if samba-tool ou listobjects "$1" >/dev/null 2>&1; then
    echo "ssm-runas: OU $1 exists"
  else
    samba-tool ou add "$1"
  fi
}

# Names that exist already, read once: samba-tool starts slowly.
users="$(samba-tool user list)"
groups="$(samba-tool group list)"
has() { grep -qixF -- "$2" <<<"$1"; }

ensure_group() {
  local name="$1"
  shift
  if has "$groups" "$name"; then
    echo "ssm-runas: group $name exists"
  else
    samba-tool group add "$name" "$@"
  fi
}

ensure_user() {
  local name="$1"
  shift
  if has "$users" "$name"; then
    echo "ssm-runas: user $name exists"
  else
    samba-tool user create "$name" --random-password "$@"
  fi
}

# ensure_members GROUP MEMBER...: adds the members the group lacks, in one call.
ensure_members() {
  local group="$1" current member missing=()
  shift
  current="$(samba-tool group listmembers "$group")"
  for member in "$@"; do
    if has "$current" "$member"; then
      echo "ssm-runas: $member is a member of $group"
    else
      missing+=("$member")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    samba-tool group addmembers "$group" "$(IFS=,; echo "${missing[*]}")"
  fi
}

ensure_ou 'OU=Servers,DC=samdom,DC=example,DC=com'
ensure_ou 'OU=LinuxHosts,OU=Servers,DC=samdom,DC=example,DC=com'
ensure_ou 'OU=People,DC=samdom,DC=example,DC=com'
ensure_group 'Linux-Users' '--gid-number=10000' '--nis-domain=samdom'
ensure_group 'SRE'
ensure_group 'Linux-Admins' '--gid-number=10001' '--nis-domain=samdom'
ensure_group 'DB Operators' '--gid-number=10002' '--nis-domain=samdom'
ensure_user 'Alice' '--given-name=Alice' '--surname=O'\''Brien' '--userou=OU=People' '--nis-domain=samdom' '--uid-number=10001' '--gid-number=10000' '--unix-home=/home/alice' '--login-shell=/bin/bash'
ensure_user 'bob' '--nis-domain=samdom' '--uid-number=10002' '--gid-number=10000' '--unix-home=/home/bob' '--login-shell=/bin/zsh'
ensure_user 'carol'
ensure_user 'Dave' '--nis-domain=samdom' '--uid-number=10004' '--gid-number=10000' '--unix-home=/home/dave' '--login-shell=/bin/bash'
samba-tool user disable 'Dave'
ensure_members 'Linux-Users' 'Alice' 'bob' 'carol' 'Dave'
ensure_members 'SRE' 'bob'
ensure_members 'Linux-Admins' 'SRE' 'Dave'
ensure_members 'DB Operators' 'Alice'
SSM_RUNAS_SEED_EOF
}

log "boot"
status installing
install_packages
provision
start_samba
status seeding
seed="$(mktemp)"
write_seed "$seed"
bash "$seed"
rm -f "$seed"
join_account
status complete
log "complete"
