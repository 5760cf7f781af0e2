package artifact_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/binary"
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

// TestBuildBrokerIsReproducible builds the broker twice: the same bytes,
// named after the broker, for the architecture the function declares.
func TestBuildBrokerIsReproducible(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	a, err := artifact.BuildBroker(ctx, artifact.BuildOptions{OutDir: out})
	require.NoError(t, err)
	b, err := artifact.BuildBroker(ctx, artifact.BuildOptions{OutDir: t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, a.SHA256, b.SHA256, "two builds of the same tree differ")
	assert.Equal(t, filepath.Join(out, "ssm-runas-broker-"+a.SHA256+".zip"), a.Path)

	w, err := artifact.BuildWriter(ctx, artifact.BuildOptions{OutDir: out})
	require.NoError(t, err)
	assert.NotEqual(t, w.SHA256, a.SHA256, "the broker zip holds the writer")

	zr, err := zip.OpenReader(a.Path)
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1)
	assert.Equal(t, "bootstrap", zr.File[0].Name)
	rc, err := zr.File[0].Open()
	require.NoError(t, err)
	exe, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	f, err := elf.NewFile(bytes.NewReader(exe))
	require.NoError(t, err, "bootstrap is not an ELF binary")
	assert.Equal(t, elf.EM_AARCH64, f.Machine, "the function declares "+artifact.DefaultArch)
	for _, prog := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, prog.Type, "built without cgo, the binary needs no dynamic loader")
	}
	assert.Contains(t, string(exe), "SSM_RUNAS_BROKER_RULES", "not the broker's binary")
}

func TestSourceCodeHashIsLambdasCodeSha256(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	_, err := zw.Create("bootstrap")
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	z, err := artifact.Broker.FromFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(buf.Bytes())
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), z.SourceCodeHash())
	assert.Empty(t, artifact.Broker.NotBuilt().SourceCodeHash())
	assert.False(t, artifact.Broker.NotBuilt().Built())

	_, err = artifact.Broker.FromFile(p + ".missing")
	assert.ErrorContains(t, err, "reading broker.zipPath")
}

func TestBuildBrokerWithoutSource(t *testing.T) {
	_, err := artifact.BuildBroker(context.Background(), artifact.BuildOptions{ModuleDir: t.TempDir(), OutDir: t.TempDir()})
	assert.ErrorIs(t, err, artifact.ErrSourceNotFound)
	assert.ErrorContains(t, err, "building the broker")
}

// elfHeader is the 64-byte header of a little-endian 64-bit Linux
// executable for machine: enough for debug/elf to read which machine a
// binary was built for.
func elfHeader(t *testing.T, machine elf.Machine) []byte {
	t.Helper()
	h := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT), Ehsize: 64, Phentsize: 56, Shentsize: 64}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var b bytes.Buffer
	require.NoError(t, binary.Write(&b, binary.LittleEndian, h))
	return b.Bytes()
}

// zipOf writes a zip holding files (name to content) and returns its path.
func zipOf(t *testing.T, files map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "prebuilt.zip")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

// TestFromFileRefusesAZipLambdaCannotStart: the OS-only runtime runs the
// file named bootstrap at the zip's root, and the functions declare
// artifact.DefaultArch. A prebuilt zip without it, or with a binary built
// for another machine (a laptop's default GOARCH), deploys without error
// and then fails every invocation (Runtime.InvalidEntrypoint), so it is
// refused when the zip is read.
func TestFromFileRefusesAZipLambdaCannotStart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"no bootstrap", map[string][]byte{"main": elfHeader(t, elf.EM_AARCH64)}, `no file named bootstrap at the root`},
		{"bootstrap in a folder", map[string][]byte{"build/bootstrap": elfHeader(t, elf.EM_AARCH64)}, `no file named bootstrap at the root`},
		{"built for x86-64", map[string][]byte{"bootstrap": elfHeader(t, elf.EM_X86_64)}, `bootstrap is built for EM_X86_64, the function runs on arm64 (EM_AARCH64): build it with GOOS=linux GOARCH=arm64`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := artifact.Broker.FromFile(zipOf(t, tc.files))
			assert.ErrorContains(t, err, "broker.zipPath")
			assert.ErrorContains(t, err, tc.want)
		})
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
	}{
		{"built for arm64", map[string][]byte{"bootstrap": elfHeader(t, elf.EM_AARCH64)}},
		{"a script bootstrap, which the runtime also runs", map[string][]byte{"bootstrap": []byte("#!/bin/sh\nexec ./broker\n"), "broker": elfHeader(t, elf.EM_AARCH64)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z, err := artifact.Broker.FromFile(zipOf(t, tc.files))
			require.NoError(t, err)
			assert.True(t, z.Built())
		})
	}
}
