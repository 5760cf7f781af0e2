// Package sudoers is what every host script of this project shares to
// install a sudo drop-in: where drop-ins go, and the shell function that
// writes one only after visudo accepts it. The role accounts' association
// (core/hostaccounts) and the domain join association (core/hostjoin)
// both embed it, so a rule sudo would refuse is refused the same way by
// both, before it can lock anyone out of sudo.
//
// sudoers(5), "Including other files from within sudoers":
// https://www.sudo.ws/docs/man/sudoers.man/#Including_other_files_from_within_sudoers
package sudoers

// Dir is where the drop-ins go; /etc/sudoers on every distribution the
// scripts support includes it.
const Dir = "/etc/sudoers.d"

// InstallFunction defines the bash function install_sudoers FILE. It reads
// a drop-in from stdin and checks it with visudo -cf. A rule visudo
// refuses fails the function (and, under set -e, the script) with nothing
// written. A valid one is installed as Dir/FILE, mode 0440, owned by root,
// when it differs from what is there, and the function says which.
// Messages start with "ssm-runas: ".
const InstallFunction = `# install_sudoers FILE: installs stdin as ` + Dir + `/FILE once visudo accepts
# it; a rule visudo refuses fails with nothing written.
install_sudoers() {
  local file="` + Dir + `/$1" tmp
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
`
