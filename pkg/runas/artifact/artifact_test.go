package artifact_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
)

func TestBuildWriterIsReproducible(t *testing.T) {
	ctx := context.Background()
	a, err := artifact.BuildWriter(ctx, artifact.BuildOptions{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := artifact.BuildWriter(ctx, artifact.BuildOptions{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 {
		t.Fatalf("two builds of the same tree differ: %s vs %s", a.SHA256, b.SHA256)
	}
	if a.Key() != "ssm-prefs-writer/"+a.SHA256+".zip" {
		t.Fatalf("key %s", a.Key())
	}
	zr, err := zip.OpenReader(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("zip must hold one executable named bootstrap: %+v", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := io.ReadAll(rc)
	rc.Close()
	f, err := elf.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Fatalf("bootstrap is built for %v, the template says arm64", f.Machine)
	}
	again, err := artifact.FromFile(a.Path)
	if err != nil || again.SHA256 != a.SHA256 {
		t.Fatalf("FromFile: %+v %v", again, err)
	}
}

func TestFromFileRejectsNonZip(t *testing.T) {
	p := t.TempDir() + "/x.zip"
	os.WriteFile(p, []byte("not a zip"), 0o644)
	if _, err := artifact.FromFile(p); err == nil {
		t.Fatal("want an error")
	}
	if _, err := artifact.FromFile(p + ".missing"); err == nil {
		t.Fatal("want an error")
	}
}
