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

groups=('linux-users')
for group in "${groups[@]}"; do
  while IFS= read -r member; do
    [ -n "$member" ] || continue
    make_home "${member%%@*}"
  done < <(members "$group")
done
