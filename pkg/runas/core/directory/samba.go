package directory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SambaScript renders the seed as an idempotent bash script of samba-tool
// commands, run as root on a provisioned Samba AD domain controller (with
// or without the samba service running): objects that exist are left as
// they are, missing ones are created, and disabled users are disabled again
// on every run. New accounts get a random password: people reach hosts
// through Session Manager, never with a directory password.
func SambaScript(s Seed) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("rendering the Samba directory seed: %w", err)
	}
	var b strings.Builder
	b.WriteString(`#!/bin/bash
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

`)
	nis := s.nisDomain()
	base := s.BaseDN()
	for _, ou := range s.OUs {
		fmt.Fprintf(&b, "ensure_ou %s\n", quote(ou+","+base))
	}
	for _, g := range s.Groups {
		args := []string{g.Name}
		if g.GID != 0 {
			args = append(args, "--gid-number="+strconv.Itoa(g.GID), "--nis-domain="+nis)
		}
		fmt.Fprintf(&b, "ensure_group %s\n", quoteAll(args))
	}
	for _, u := range s.Users {
		args := []string{u.Name}
		if u.GivenName != "" {
			args = append(args, "--given-name="+u.GivenName)
		}
		if u.Surname != "" {
			args = append(args, "--surname="+u.Surname)
		}
		if u.OU != "" {
			args = append(args, "--userou="+u.OU)
		}
		if p := u.POSIX; p != nil {
			shell := p.Shell
			if shell == "" {
				shell = DefaultShell
			}
			args = append(args, "--nis-domain="+nis, "--uid-number="+strconv.Itoa(p.UID),
				"--gid-number="+strconv.Itoa(p.GID), "--unix-home="+u.HomeOf(), "--login-shell="+shell)
		}
		fmt.Fprintf(&b, "ensure_user %s\n", quoteAll(args))
		if u.Disabled {
			fmt.Fprintf(&b, "samba-tool user disable %s\n", quote(u.Name))
		}
	}
	for _, g := range s.Groups {
		if len(g.Members) > 0 {
			fmt.Fprintf(&b, "ensure_members %s %s\n", quote(g.Name), quoteAll(g.Members))
		}
	}
	out := b.String()
	if strings.Contains(out, "{{") {
		return nil, errors.New("rendering the Samba directory seed: it contains {{, which SSM would read as a document parameter")
	}
	return []byte(out), nil
}

// nisDomain is the msSFU30NisDomain samba-tool records with RFC2307
// attributes: the domain's first label.
func (s Seed) nisDomain() string {
	first, _, _ := strings.Cut(s.Domain, ".")
	return first
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quote(a)
	}
	return strings.Join(q, " ")
}

// quote single-quotes s for bash.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
