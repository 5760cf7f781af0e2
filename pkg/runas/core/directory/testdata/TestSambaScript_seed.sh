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

ensure_group() {
  local name="$1"
  shift
  if samba-tool group show "$name" >/dev/null 2>&1; then
    echo "ssm-runas: group $name exists"
  else
    samba-tool group add "$name" "$@"
  fi
}

ensure_user() {
  local name="$1"
  shift
  if samba-tool user show "$name" >/dev/null 2>&1; then
    echo "ssm-runas: user $name exists"
  else
    samba-tool user create "$name" --random-password "$@"
  fi
}

ensure_member() {
  local group="$1" member="$2"
  if samba-tool group listmembers "$group" 2>/dev/null | grep -qixF -- "$member"; then
    echo "ssm-runas: $member is a member of $group"
  else
    samba-tool group addmembers "$group" "$member"
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
ensure_member 'Linux-Users' 'Alice'
ensure_member 'Linux-Users' 'bob'
ensure_member 'Linux-Users' 'carol'
ensure_member 'Linux-Users' 'Dave'
ensure_member 'SRE' 'bob'
ensure_member 'Linux-Admins' 'SRE'
ensure_member 'Linux-Admins' 'Dave'
ensure_member 'DB Operators' 'Alice'
