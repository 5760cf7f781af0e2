package settings

import (
	"path"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

// Commands known to hand out root through sudo, by what makes them so. The
// lists follow the sudoers manual's warnings on shell escapes and the
// catalogue of escapes at https://gtfobins.github.io/ (facts, not copied
// text); they are not complete, which is why these are warnings.
//
// https://www.sudo.ws/docs/man/sudoers.man/#Preventing_shell_escapes
var (
	// spawnsPrograms can start other programs (a pager's !sh, find -exec,
	// a wrapper that runs its arguments): sudoers' NOEXEC stops that.
	spawnsPrograms = []string{
		"awk", "busybox", "ftp", "find", "gawk", "gdb", "git", "journalctl", "less", "man", "mawk", "more",
		"most", "nice", "nohup", "pg", "rsync", "scp", "script", "ssh", "strace", "tar",
		"timeout", "watch", "xargs", "zip",
	}
	// alwaysRoot are shells, interpreters, editors and tools that write any
	// file or change identity: root whatever the tags.
	alwaysRoot = []string{
		"bash", "chmod", "chown", "chroot", "cp", "crictl", "csh", "dash", "dd", "docker", "ed", "emacs", "env",
		"ex", "fish", "install", "ksh", "kubectl", "ln", "lua", "mount", "mv", "nano", "node", "nsenter",
		"nvim", "passwd", "perl", "php", "pico", "podman", "ruby", "sh", "su", "sudo", "sudoedit", "tclsh",
		"tcsh", "tee", "useradd", "usermod", "vi", "view", "vim", "visudo", "zsh",
	}
	// systemctlPages are the systemctl verbs that show their output in a
	// pager; the other verbs run without one.
	systemctlPages = []string{
		"cat", "help", "list-dependencies", "list-sockets", "list-timers", "list-unit-files", "list-units", "show", "status",
	}
	// noPagerFlag turns off the pager of systemd's tools.
	noPagerFlag = "--no-pager"
)

// SudoCommandRisk says how a sudo command can become a root shell, or ""
// when none is known. noExec tells whether the rule carries NOEXEC.
func SudoCommandRisk(cmd string, noExec bool) string {
	if cmd == "ALL" {
		return ""
	}
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return ""
	}
	base := path.Base(fields[0])
	args := fields[1:]
	switch {
	case slices.Contains(alwaysRoot, base) || strings.HasPrefix(base, "python"):
		return base + " is a shell, interpreter or editor, or writes files or changes identity: it gives root even with noExec"
	case len(args) == 0:
		return `without arguments sudo allows any arguments: name them, or add "" to allow none`
	case base == "systemctl" && slices.Contains(args, "edit"):
		return "systemctl edit opens an editor as root: it gives root even with noExec"
	case base == "systemctl":
		if !noExec && !slices.Contains(args, noPagerFlag) && slices.ContainsFunc(args, func(a string) bool { return slices.Contains(systemctlPages, a) }) {
			return "systemctl shows this in a pager, which can start a shell (!sh): add --no-pager or set noExec: true"
		}
		return ""
	case slices.Contains(spawnsPrograms, base) && !noExec &&
		!((base == "journalctl" || base == "systemctl") && slices.Contains(args, noPagerFlag)):
		return base + " can start other programs (a pager's !sh, -exec): set noExec: true"
	}
	return ""
}

// Warnings are what the configuration allows although it is probably not
// meant: validate prints them and still succeeds.
func (c *Config) Warnings() field.List {
	var w field.List
	for i, r := range c.Roles {
		p := field.Path("roles").Index(i)
		if slices.Contains(c.Guardrail.ReservedUsers, r.LinuxUser) {
			w.Add(field.Invalid(p.Child("linuxUser"), r.LinuxUser,
				"is also in guardrail.reservedUsers (a stock account with passwordless sudo on some images, e.g. admin on Debian): "+
					"it stays allowed for this role, and on such images members get that account's rights; "+
					"rename the role account, or remove it from guardrail.reservedUsers to silence this"))
		}
		if r.Sudo != nil {
			w.Extend(r.Sudo.Warnings(p.Child("sudo")))
		}
	}
	if c.PerUser != nil {
		for i, s := range c.PerUser.Sudo {
			w.Extend(s.Rule.Warnings(field.Path("perUser").Child("sudo").Index(i).Child("rule")))
		}
	}
	return w
}

// Warnings lists the rule's commands known to hand out a root shell
// (SudoCommandRisk); role accounts and AD groups share it.
func (s Sudo) Warnings(p field.Path) field.List {
	var w field.List
	for k, cmd := range s.Commands {
		if why := SudoCommandRisk(cmd, s.NoExec); why != "" {
			w.Add(field.Invalid(p.Child("commands").Index(k), cmd, why))
		}
	}
	return w
}
