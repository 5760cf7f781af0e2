package dcbootstrap

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

// SambaLogPath is the Samba bootstrap's own log on the instance.
const SambaLogPath = "/var/log/ssm-runas/domain-controller.log"

// DefaultSambaHostName is the Samba domain controller's host name in the
// domain (dc1.<domain>): instance host names such as ip-172-31-100-200 are
// longer than the 15 characters of a NetBIOS name.
const DefaultSambaHostName = "dc1"

// SambaPackages are the Debian packages of a Samba AD domain controller and
// of what the bootstrap runs (the AWS CLI for the secrets and the status).
var SambaPackages = []string{
	"samba", "samba-ad-provision", "samba-dsdb-modules", "samba-vfs-modules", "winbind", "krb5-user", "ldb-tools", "jq", "awscli",
}

// Samba is what the Samba engine's bootstrap needs besides the domain.
type Samba struct {
	Domain
	// HostName is optional, default dc1: the controller's name in the
	// domain.
	HostName string
	// HostIP is optional: the address the controller registers in its
	// DNS; default the address of its interfaces.
	HostIP string
	// Interfaces is optional: the interfaces samba listens on (the
	// namespace tests use lo); default all.
	Interfaces string
	// StateDir is optional: where the domain's database and smb.conf are
	// provisioned (samba-tool --targetdir); default Samba's own layout
	// under /var/lib/samba. Either way /etc/samba/smb.conf is the
	// domain's, so samba-tool needs no -s.
	StateDir string
}

// sambaJoinACEs are the join account's rights on the join OU in SDDL, with
// SID standing for its objectSid; the same rights as JoinGrants. The GUIDs
// are the computer class and the extended rights Reset Password, Change
// Password and the validated writes of servicePrincipalName and
// dNSHostName.
//
// https://learn.microsoft.com/en-us/windows/win32/adschema/c-computer
// https://learn.microsoft.com/en-us/windows/win32/adschema/extended-rights
var sambaJoinACEs = []string{
	"(OA;CI;CCDC;bf967a86-0de6-11d0-a285-00aa003049e2;;SID)",
	"(OA;CIIO;RPWPLCRC;;bf967a86-0de6-11d0-a285-00aa003049e2;SID)",
	"(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967a86-0de6-11d0-a285-00aa003049e2;SID)",
	"(OA;CIIO;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;bf967a86-0de6-11d0-a285-00aa003049e2;SID)",
	"(OA;CIIO;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;bf967a86-0de6-11d0-a285-00aa003049e2;SID)",
	"(OA;CIIO;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;bf967a86-0de6-11d0-a285-00aa003049e2;SID)",
}

// SambaBootstrap renders the Samba engine's bootstrap: a bash script, run
// as root on Debian (as EC2 user data, or by hand), that installs Samba
// when it is missing, provisions the domain once (administrator password
// from AdminSecretARN), starts it, applies directory.SambaScript of the
// seed, creates or updates the join account (from JoinSecretARN) with its
// rights on the join OU, and records its progress in StatusParameter.
// Running it again changes nothing that is in place.
func SambaBootstrap(s Samba) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("rendering the Samba bootstrap: %w", err)
	}
	if s.HostName == "" {
		s.HostName = DefaultSambaHostName
	}
	if !sambaHostRe.MatchString(s.HostName) {
		return nil, fmt.Errorf("rendering the Samba bootstrap: host name %q: must be 1-15 lower-case letters, digits or -", s.HostName)
	}
	for _, v := range []string{s.HostIP, s.Interfaces, s.StateDir} {
		if !plain(v) || strings.Contains(v, "'") {
			return nil, fmt.Errorf("rendering the Samba bootstrap: %q: must be plain text", v)
		}
	}
	seed, err := directory.SambaScript(s.Seed)
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(seed), seedEOF) {
		return nil, errors.New("rendering the Samba bootstrap: the seed contains the here-document's end marker")
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n# Managed by ssm-runas: builds a Samba AD domain controller and seeds its directory.\n")
	b.WriteString("# Safe to run again: what is in place is left as it is.\nset -Eeuo pipefail\n\n")
	for _, v := range []struct{ name, value string }{
		{"DOMAIN", s.Name},
		{"REALM", strings.ToUpper(s.Name)},
		{"NETBIOS", s.NetBIOS},
		{"REGION", s.Region},
		{"ADMIN_SECRET_ARN", s.AdminSecretARN},
		{"JOIN_SECRET_ARN", s.JoinSecretARN},
		{"JOIN_USER", s.JoinUser},
		{"JOIN_OU", s.JoinOUDN()},
		{"STATUS_PARAMETER", s.StatusParameter},
		{"HOST_NAME", s.HostName},
		{"HOST_IP", s.HostIP},
		{"INTERFACES", s.Interfaces},
		{"STATE_DIR", s.StateDir},
		{"LOG", SambaLogPath},
		{"AMAZON_DNS", AmazonDNS},
	} {
		fmt.Fprintf(&b, "%s=%s\n", v.name, shQuote(v.value))
	}
	fmt.Fprintf(&b, "PACKAGES=(%s)\n", strings.Join(SambaPackages, " "))
	b.WriteString("JOIN_ACES=(\n")
	for _, ace := range sambaJoinACEs {
		fmt.Fprintf(&b, "  %s\n", shQuote(ace))
	}
	b.WriteString(")\n")
	b.WriteString(sambaFunctions)
	b.WriteString("\nwrite_seed() {\n  cat >\"$1\" <<'" + seedEOF + "'\n")
	b.WriteString(string(seed))
	b.WriteString(seedEOF + "\n}\n")
	b.WriteString(sambaMain)
	out := b.String()
	if strings.Contains(out, "{{") {
		return nil, errors.New("rendering the Samba bootstrap: it contains {{, which a template engine would read")
	}
	return []byte(out), nil
}

const seedEOF = "SSM_RUNAS_SEED_EOF"

var sambaHostRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,14}$`)

const sambaFunctions = `
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
  user="$(jq -r '.` + JoinSecretUsernameKey + `' <<<"$join")"
  password="$(jq -r '.` + JoinSecretPasswordKey + `' <<<"$join")"
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
`

const sambaMain = `
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
`
