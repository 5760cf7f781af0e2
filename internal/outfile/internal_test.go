package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplaceFailureLeavesOriginal: when the data cannot be flushed, the
// original stays whole and no temporary file is left.
func TestReplaceFailureLeavesOriginal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.xml")
	require.NoError(t, os.WriteFile(p, []byte("original"), 0o644))
	failed := errors.New("disk on fire")
	syncFile = func(*os.File) error { return failed }
	t.Cleanup(func() { syncFile = (*os.File).Sync })

	err := Write(p, []byte("new content"), 0o644)
	assert.ErrorIs(t, err, failed)
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "original", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}
