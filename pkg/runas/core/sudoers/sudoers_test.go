package sudoers_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sudoers"
)

func TestInstallFunctionPassesShellcheck(t *testing.T) {
	shellcheck := testtools.Require(t, "shellcheck", "apt-get install shellcheck")
	p := filepath.Join(t.TempDir(), "f.sh")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/bash\nset -euo pipefail\n"+sudoers.InstallFunction+"install_sudoers ssm-runas-x </dev/null\n"), 0o644))
	out, err := exec.Command(shellcheck, "--severity=style", p).CombinedOutput()
	assert.NoError(t, err, "shellcheck:\n%s", out)
}

// TestInstallFunction runs the function as the scripts do (root, set -e,
// a heredoc on stdin) with the real visudo, against a private tmpfs over
// the real drop-in directory: a mount namespace of the test's own keeps
// the machine's /etc/sudoers.d untouched.
func TestInstallFunction(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the function installs root-owned files, into a tmpfs over " + sudoers.Dir + " in a private mount namespace only root may create")
	}
	testtools.Require(t, "visudo", "apt-get install sudo")
	unshare := testtools.Require(t, "unshare", "apt-get install util-linux")
	if out, err := exec.Command(unshare, "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create a mount namespace here (%v: %s)", err, out)
	}
	run := func(steps string) (string, error) {
		script := "set -euo pipefail\nmount --make-rprivate /\nmount -t tmpfs tmpfs " + sudoers.Dir + "\n" +
			sudoers.InstallFunction + steps
		out, err := exec.Command(unshare, "--mount", "bash", "-c", script).CombinedOutput()
		return string(out), err
	}
	const valid = "%ssm-admins ALL=(ALL) NOPASSWD: ALL\n"

	t.Run("valid, then current", func(t *testing.T) {
		out, err := run(`install_sudoers ssm-runas-admin <<'END'
` + valid + `END
stat -c '%a %U %G' ` + sudoers.Dir + `/ssm-runas-admin
cat ` + sudoers.Dir + `/ssm-runas-admin
install_sudoers ssm-runas-admin <<'END'
` + valid + `END
`)
		require.NoError(t, err, out)
		assert.Equal(t, "ssm-runas: wrote "+sudoers.Dir+"/ssm-runas-admin\n440 root root\n"+valid+
			"ssm-runas: "+sudoers.Dir+"/ssm-runas-admin is current\n", out)
	})

	t.Run("changed rule replaces the file", func(t *testing.T) {
		out, err := run(`echo 'old' > ` + sudoers.Dir + `/ssm-runas-admin
install_sudoers ssm-runas-admin <<'END'
` + valid + `END
cat ` + sudoers.Dir + `/ssm-runas-admin
`)
		require.NoError(t, err, out)
		assert.Equal(t, "ssm-runas: wrote "+sudoers.Dir+"/ssm-runas-admin\n"+valid, out)
	})

	t.Run("invalid rule stops the script and writes nothing", func(t *testing.T) {
		out, err := run(`install_sudoers ssm-runas-admin <<'END'
%ssm-admins ALL=(ALL NOPASSWD: ALL
END
echo "not reached"
`)
		assert.Error(t, err, "set -e stops at the refusal")
		assert.Contains(t, out, "ssm-runas: refusing an invalid sudo rule for ssm-runas-admin")
		assert.NotContains(t, out, "not reached")
		assert.NotContains(t, out, "wrote")

		out, err = run(`TMPDIR="$(mktemp -d)"
export TMPDIR
install_sudoers ssm-runas-admin <<'END' || true
%ssm-admins ALL=(ALL NOPASSWD: ALL
END
echo "drop-ins: $(ls -A ` + sudoers.Dir + ` | wc -l) temporary files: $(ls -A "$TMPDIR" | wc -l)"
`)
		require.NoError(t, err, out)
		assert.True(t, strings.HasSuffix(out, "drop-ins: 0 temporary files: 0\n"), "nothing written, nothing left: %s", out)
	})

	t.Run("machine untouched", func(t *testing.T) {
		_, err := os.Stat(filepath.Join(sudoers.Dir, "ssm-runas-admin"))
		assert.ErrorIs(t, err, os.ErrNotExist, "the tests wrote only inside their namespace")
	})
}
