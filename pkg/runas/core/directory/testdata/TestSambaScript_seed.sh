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

ensure_ou 'OU=Servers,DC=corp,DC=example,DC=com'
ensure_ou 'OU=Linux,OU=Servers,DC=corp,DC=example,DC=com'
ensure_group 'Linux-Users' '--gid-number=10000' '--nis-domain=corp'
ensure_group 'SRE'
ensure_group 'Linux-Admins' '--gid-number=10001' '--nis-domain=corp'
ensure_group 'DB Operators' '--gid-number=10002' '--nis-domain=corp'
ensure_user 'Alice' '--given-name=Alice' '--surname=Smith' '--nis-domain=corp' '--uid-number=10001' '--gid-number=10000' '--unix-home=/home/alice' '--login-shell=/bin/bash'
ensure_user 'bob' '--nis-domain=corp' '--uid-number=10002' '--gid-number=10000' '--unix-home=/home/bob' '--login-shell=/bin/zsh'
ensure_user 'carol'
ensure_user 'Dave' '--nis-domain=corp' '--uid-number=10004' '--gid-number=10000' '--unix-home=/home/dave' '--login-shell=/bin/bash'
samba-tool user disable 'Dave'
ensure_members 'Linux-Users' 'Alice' 'bob' 'carol' 'Dave'
ensure_members 'SRE' 'bob'
ensure_members 'Linux-Admins' 'SRE' 'Dave'
ensure_members 'DB Operators' 'Alice'
