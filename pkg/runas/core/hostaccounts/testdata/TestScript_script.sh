#!/bin/bash
# Managed by ssm-runas: creates the Session Manager Run As accounts and their
# sudo rules. Safe to run any number of times; never touches other users.
set -euo pipefail
umask 077

ensure_account() {
  local name="$1" comment="$2"
  if id -u -- "$name" >/dev/null 2>&1; then
    echo "ssm-runas: account $name exists"
  else
    useradd --create-home --shell '/bin/bash' --comment "$comment" -- "$name"
    echo "ssm-runas: created account $name"
  fi
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

remove_sudoers() {
  local file="/etc/sudoers.d/$1"
  if [ -e "$file" ]; then
    rm -f -- "$file"
    echo "ssm-runas: removed $file"
  fi
}

ensure_account admin 'ssm-runas role admin'
install_sudoers ssm-runas-admin <<'SSM_RUNAS_SUDOERS_END'
# Managed by ssm-runas: the sudo rule of the admin role account. Local changes are overwritten.
admin ALL=(ALL) NOPASSWD: ALL
SSM_RUNAS_SUDOERS_END
ensure_account oracle 'ssm-runas role oracle'
install_sudoers ssm-runas-oracle <<'SSM_RUNAS_SUDOERS_END'
# Managed by ssm-runas: the sudo rule of the oracle role account. Local changes are overwritten.
oracle ALL=(ALL) NOPASSWD: NOEXEC: /usr/bin/systemctl restart oracle-xe, /usr/bin/systemctl status oracle-xe --no-pager, /usr/bin/journalctl --no-pager -u oracle-xe
SSM_RUNAS_SUDOERS_END
ensure_account developer 'ssm-runas role developer'
remove_sudoers ssm-runas-developer
ensure_account support 'ssm-runas role support'
install_sudoers ssm-runas-support <<'SSM_RUNAS_SUDOERS_END'
# Managed by ssm-runas: the sudo rule of the support role account. Local changes are overwritten.
support ALL=(ALL) NOPASSWD: NOEXEC: /usr/bin/journalctl --no-pager -n 500
SSM_RUNAS_SUDOERS_END
ensure_account ssm-fallback 'ssm-runas fallback user'
remove_sudoers ssm-runas-ssm-fallback

# Drop-ins of roles that no longer exist lose their sudo rule; the accounts stay.
for file in /etc/sudoers.d/ssm-runas-*; do
  [ -e "$file" ] || continue
  case "${file##*/}" in
    ssm-runas-admin|ssm-runas-oracle|ssm-runas-support) ;;
    *) remove_sudoers "${file##*/}" ;;
  esac
done
