package atomicfile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.xml")
	for _, content := range []string{"first", "second"} {
		require.NoError(t, atomicfile.Write(p, []byte(content), 0o644))
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, content, string(got))
	}
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "temporary files left behind")
	assert.Error(t, atomicfile.Write(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644), "writing into a missing directory must fail")
}
