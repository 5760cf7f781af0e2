package artifact_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
)

func TestBuildWriterIsReproducible(t *testing.T) {
	ctx := context.Background()
	a, err := artifact.BuildWriter(ctx, artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	b, err := artifact.BuildWriter(ctx, artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, a.SHA256, b.SHA256, "two builds of the same tree differ")
	assert.Equal(t, "ssm-prefs-writer/"+a.SHA256+".zip", a.Key())
	assert.True(t, a.Built())

	zr, err := zip.OpenReader(a.Path)
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1, "the zip holds one file")
	assert.Equal(t, "bootstrap", zr.File[0].Name)
	assert.Equal(t, os.FileMode(0o755), zr.File[0].Mode().Perm())
	rc, err := zr.File[0].Open()
	require.NoError(t, err)
	exe, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	f, err := elf.NewFile(bytes.NewReader(exe))
	require.NoError(t, err, "bootstrap is not an ELF binary")
	assert.Equal(t, elf.EM_AARCH64, f.Machine, "the template says arm64")

	again, err := artifact.FromFile(a.Path)
	require.NoError(t, err)
	assert.Equal(t, a.SHA256, again.SHA256)
}

// TestBuildWriterFromElsewhere builds with the working directory outside
// the checkout: the source is found where this package was compiled from.
func TestBuildWriterFromElsewhere(t *testing.T) {
	t.Chdir(t.TempDir())
	z, err := artifact.BuildWriter(context.Background(), artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}$`, z.SHA256)
}

func TestBuildWriterWithoutSource(t *testing.T) {
	_, err := artifact.BuildWriter(context.Background(), artifact.BuildOptions{ModuleDir: t.TempDir(), OutDir: t.TempDir()})
	assert.ErrorIs(t, err, artifact.ErrSourceNotFound)
	assert.False(t, artifact.NotBuilt.Built())
	assert.Equal(t, "ssm-prefs-writer/not-built.zip", artifact.NotBuilt.Key())
}

func TestFromFileRejectsNonZip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.zip")
	require.NoError(t, os.WriteFile(p, []byte("not a zip"), 0o644))
	_, err := artifact.FromFile(p)
	assert.ErrorContains(t, err, "not a zip")
	_, err = artifact.FromFile(p + ".missing")
	assert.ErrorContains(t, err, "reading writer.zipPath")
}
