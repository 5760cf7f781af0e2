// Package hostaccounts builds what makes the per-role model work on a host:
// the shared role accounts (admin, developer, ...) and the fallback user
// must exist, or Session Manager fails the session with "failed to start pty
// since RunAs user X does not exist"; and each role gets its sudo rule as a
// drop-in under /etc/sudoers.d.
//
// Script renders an idempotent bash script from typed, validated inputs (no
// text templates: `{{` would be read as an SSM document parameter, and `%`
// and `${` have meanings of their own). It creates missing accounts, never
// modifies or removes other users, installs each drop-in only after
// `visudo -cf` accepts it, and removes drop-ins of roles that no longer
// exist. A State Manager association runs it on tagged instances.
//
// sudoers drop-ins: https://www.sudo.ws/docs/man/sudoers.man/#Including_other_files_from_within_sudoers
package hostaccounts

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sudoers"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// SudoersDir is where the drop-ins go.
const SudoersDir = sudoers.Dir

// SudoersPrefix starts every drop-in this project writes. sudo skips files
// whose names contain '.' or end in '~', so the prefix has neither.
const SudoersPrefix = "ssm-runas-"

// Account is one local account the hosts must have.
type Account struct {
	// Name is required: a valid Run As user name.
	Name string
	// Comment is the GECOS field.
	Comment string
	// Sudo is optional: nil means no sudo rule (and any old one is removed).
	Sudo *settings.Sudo
}

// Spec is everything the script ensures.
type Spec struct {
	// Accounts are the role accounts and the fallback user.
	Accounts []Account
	// Shell is the login shell of new accounts.
	Shell string
}

// FromConfig returns the accounts of every role and the fallback user.
func FromConfig(c *settings.Config) Spec {
	s := Spec{Shell: c.HostAccounts.Shell}
	for _, r := range c.RolesByPrecedence() {
		s.Accounts = append(s.Accounts, Account{Name: r.LinuxUser, Comment: "ssm-runas role " + r.Name, Sudo: r.Sudo})
	}
	s.Accounts = append(s.Accounts, Account{
		Name:    c.SessionPreferences.RunAsDefaultUser,
		Comment: "ssm-runas fallback user",
	})
	return s
}

// Names returns the account names, sorted.
func (s Spec) Names() []string {
	out := make([]string, len(s.Accounts))
	for i, a := range s.Accounts {
		out[i] = a.Name
	}
	sort.Strings(out)
	return out
}

var commentRe = regexp.MustCompile(`^[A-Za-z0-9 _.-]{0,64}$`)

// Validate checks again what the configuration checked: this output runs as
// root on every host.
func (s Spec) Validate() error {
	var errs []error
	if !settings.ValidShell(s.Shell) {
		errs = append(errs, fmt.Errorf("shell %q: must be an absolute path", s.Shell))
	}
	seen := map[string]bool{}
	for _, a := range s.Accounts {
		if err := username.Validate(a.Name); err != nil {
			errs = append(errs, fmt.Errorf("account %q: %w", a.Name, err))
		}
		if seen[a.Name] {
			errs = append(errs, fmt.Errorf("account %q: listed twice", a.Name))
		}
		seen[a.Name] = true
		if !commentRe.MatchString(a.Comment) {
			errs = append(errs, fmt.Errorf("account %q: comment %q has characters outside [A-Za-z0-9 _.-]", a.Name, a.Comment))
		}
		if a.Sudo == nil {
			continue
		}
		if len(a.Sudo.Commands) == 0 {
			errs = append(errs, fmt.Errorf("account %q: sudo rule without commands", a.Name))
		}
		for _, c := range a.Sudo.Commands {
			if !settings.ValidSudoCommand(c) {
				errs = append(errs, fmt.Errorf("account %q: sudo command %q: must be ALL or an absolute path with plain arguments", a.Name, c))
			}
		}
		if a.Sudo.RunAs != "ALL" && username.Validate(a.Sudo.RunAs) != nil {
			errs = append(errs, fmt.Errorf("account %q: sudo runAs %q: must be ALL or a user name", a.Name, a.Sudo.RunAs))
		}
	}
	return errors.Join(errs...)
}

// SudoersFile is the drop-in name of an account.
func SudoersFile(account string) string { return SudoersPrefix + account }

// Sudoers renders the drop-in for a, or nil when a has no sudo rule.
func Sudoers(a Account) []byte {
	if a.Sudo == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Managed by ssm-runas: the sudo rule of the %s role account. Local changes are overwritten.\n", a.Name)
	b.WriteString(a.Sudo.Line(a.Name) + "\n")
	return []byte(b.String())
}

// heredocEnd closes the sudoers heredocs; Script refuses content holding it.
const heredocEnd = "SSM_RUNAS_SUDOERS_END"

// Script renders the idempotent bash script the association runs.
func Script(s Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("building the host accounts script: %w", err)
	}
	var b strings.Builder
	b.WriteString(`#!/bin/bash
# Managed by ssm-runas: creates the Session Manager Run As accounts and their
# sudo rules. Safe to run any number of times; never touches other users.
set -euo pipefail
umask 077

ensure_account() {
  local name="$1" comment="$2"
  if id -u -- "$name" >/dev/null 2>&1; then
    echo "ssm-runas: account $name exists"
  else
    useradd --create-home --shell '` + s.Shell + `' --comment "$comment" -- "$name"
    echo "ssm-runas: created account $name"
  fi
}

` + sudoers.InstallFunction + `
remove_sudoers() {
  local file="` + SudoersDir + `/$1"
  if [ -e "$file" ]; then
    rm -f -- "$file"
    echo "ssm-runas: removed $file"
  fi
}

`)
	keep := map[string]bool{}
	for _, a := range s.Accounts {
		fmt.Fprintf(&b, "ensure_account %s %s\n", a.Name, shellQuote(a.Comment))
		rule := Sudoers(a)
		if rule == nil {
			fmt.Fprintf(&b, "remove_sudoers %s\n", SudoersFile(a.Name))
			continue
		}
		if strings.Contains(string(rule), heredocEnd) {
			return nil, fmt.Errorf("building the host accounts script: sudo rule of %s contains %s", a.Name, heredocEnd)
		}
		keep[SudoersFile(a.Name)] = true
		fmt.Fprintf(&b, "install_sudoers %s <<'%s'\n%s%s\n", SudoersFile(a.Name), heredocEnd, rule, heredocEnd)
	}
	kept := make([]string, 0, len(keep))
	for f := range keep {
		kept = append(kept, f)
	}
	sort.Strings(kept)
	b.WriteString("\n# Drop-ins of roles that no longer exist lose their sudo rule; the accounts stay.\n")
	fmt.Fprintf(&b, "for file in %s/%s*; do\n", SudoersDir, SudoersPrefix)
	b.WriteString("  [ -e \"$file\" ] || continue\n  case \"${file##*/}\" in\n")
	if len(kept) > 0 {
		fmt.Fprintf(&b, "    %s) ;;\n", strings.Join(kept, "|"))
	}
	b.WriteString("    *) remove_sudoers \"${file##*/}\" ;;\n  esac\ndone\n")
	out := b.String()
	if strings.Contains(out, "{{") {
		return nil, errors.New("building the host accounts script: it contains {{, which SSM would read as a document parameter")
	}
	return []byte(out), nil
}

// shellQuote single-quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
