// Package artifact builds the writer Lambda's zip reproducibly, so an
// unchanged source tree yields the same bytes, the same S3 key, and no diff
// in a preview. The key is content-addressed (ssm-prefs-writer/<sha256>.zip):
// a changed writer is a new object, which is what makes CloudFormation
// update the function in every account.
//
// Reproducible means: the same Go toolchain, -trimpath, no build id, no VCS
// stamp, no cgo, and a zip with one entry at a fixed time and mode.
//
// Lambda zip packaging for Go: https://docs.aws.amazon.com/lambda/latest/dg/golang-package.html
package artifact

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ssm-runas/ssm-runas/internal/outfile"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
)

// ModulePath is this project's Go module.
const ModulePath = "github.com/ssm-runas/ssm-runas"

// WriterPackage is the writer's main package, relative to the module root.
const WriterPackage = "./cmd/ssm-prefs-writer"

// Zip is a built writer package.
type Zip struct {
	// Path is the zip on disk.
	Path string
	// SHA256 is the hex digest of the zip's bytes.
	SHA256 string
}

// Key is the zip's S3 key in every artifact bucket.
func (z Zip) Key() string { return naming.WriterArtifactKeyPrefix + z.SHA256 + ".zip" }

// notBuiltDigest stands in for the digest of a writer that was not built.
const notBuiltDigest = "not-built"

// NotBuilt stands for a writer that could not be built here (no source, no
// writer.zipPath). Only an offline preview may use it: its key names no
// real object, so deploying it would fail in every member account.
var NotBuilt = Zip{Path: "ssm-prefs-writer-not-built.zip", SHA256: notBuiltDigest}

// Built reports whether z is a real zip rather than NotBuilt.
func (z Zip) Built() bool { return z.SHA256 != "" && z.SHA256 != notBuiltDigest }

// ErrSourceNotFound means the writer's source is not on this machine: the
// working directory is not the checkout, the binary was built without its
// source path, and the module cache does not hold this module.
var ErrSourceNotFound = errors.New("the writer's source was not found")

// zipEpoch is the fixed modification time of the zip entry (the zip format
// cannot express earlier).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildOptions tune BuildWriter.
type BuildOptions struct {
	// ModuleDir is optional: the source tree to build from. By default the
	// module is found from the working directory, or through `go list -m`
	// when the program is another module that imports this one.
	ModuleDir string
	// OutDir is optional, default <user cache dir>/ssm-runas.
	OutDir string
	// Arch is optional, default arm64 (the template's architecture).
	Arch string
}

// BuildWriter compiles the writer for provided.al2023 and zips it.
func BuildWriter(ctx context.Context, opts BuildOptions) (Zip, error) {
	if opts.Arch == "" {
		opts.Arch = "arm64"
	}
	if opts.OutDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return Zip{}, fmt.Errorf("building the writer: no cache directory: %w", err)
		}
		opts.OutDir = filepath.Join(cache, "ssm-runas")
	}
	if opts.ModuleDir == "" {
		dir, err := findModule(ctx)
		if err != nil {
			return Zip{}, err
		}
		opts.ModuleDir = dir
	} else if !isThisModule(filepath.Join(opts.ModuleDir, "go.mod")) {
		return Zip{}, fmt.Errorf("building the writer from %s: %w (no go.mod of %s there)", opts.ModuleDir, ErrSourceNotFound, ModulePath)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return Zip{}, fmt.Errorf("building the writer: %w", err)
	}
	tmp, err := os.MkdirTemp(opts.OutDir, "build-")
	if err != nil {
		return Zip{}, fmt.Errorf("building the writer: %w", err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags=-s -w -buildid=", "-o", bin, WriterPackage)
	cmd.Dir = opts.ModuleDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+opts.Arch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Zip{}, fmt.Errorf("building the writer in %s: %w: %s", opts.ModuleDir, err, strings.TrimSpace(stderr.String()))
	}
	return packZip(bin, opts.OutDir)
}

// packZip writes a one-entry zip of bin, named by its digest, into dir.
func packZip(bin, dir string) (Zip, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return Zip{}, fmt.Errorf("packaging the writer: %w", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(exe)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return Zip{}, fmt.Errorf("packaging the writer: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	z := Zip{SHA256: hex.EncodeToString(sum[:])}
	z.Path = filepath.Join(dir, "ssm-prefs-writer-"+z.SHA256+".zip")
	if err := writeZip(z.Path, buf.Bytes()); err != nil {
		return Zip{}, fmt.Errorf("packaging the writer: %w", err)
	}
	return z, nil
}

// FromFile uses a prebuilt zip (config writer.zipPath).
func FromFile(path string) (Zip, error) {
	f, err := os.Open(path)
	if err != nil {
		return Zip{}, fmt.Errorf("reading writer.zipPath: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Zip{}, fmt.Errorf("reading writer.zipPath: %w", err)
	}
	if _, err := zip.OpenReader(path); err != nil {
		return Zip{}, fmt.Errorf("writer.zipPath %s: not a zip: %w", path, err)
	}
	return Zip{Path: path, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeZip writes data to path unless path already holds it (the name is
// the digest, so an existing file is normally the same zip).
func writeZip(path string, data []byte) error {
	if existing, err := os.ReadFile(path); err == nil && bytes.Equal(existing, data) {
		return nil
	}
	return outfile.Write(path, data, 0o644)
}

// findModule locates this module's source, trying in turn: the working
// directory and its parents, the directory this package was compiled from
// (absent when built with -trimpath), the module cache entry of the version
// the running binary was installed at (`go install ...@version`), and
// `go list -m` (when the program is another module that imports this one).
func findModule(ctx context.Context) (string, error) {
	if wd, err := os.Getwd(); err == nil {
		if dir, ok := moduleAbove(wd); ok {
			return dir, nil
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if dir, ok := moduleAbove(filepath.Dir(file)); ok {
			return dir, nil
		}
	}
	if dir, ok := moduleCacheDir(ctx); ok {
		return dir, nil
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", ModulePath).Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return dir, nil
	}
	return "", fmt.Errorf("building the writer: %w: run from the checkout, install a released version (go install %s/cmd/runas@<version>), or set writer.zipPath", ErrSourceNotFound, ModulePath)
}

// moduleAbove returns the directory at or above dir whose go.mod declares
// this module.
func moduleAbove(dir string) (string, bool) {
	for {
		if isThisModule(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// moduleCacheDir returns the module cache directory of the version the
// running binary was built from, downloading it when needed. A binary built
// inside a checkout has no version ("(devel)") and so no cache entry.
func moduleCacheDir(ctx context.Context) (string, bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	version := ""
	if info.Main.Path == ModulePath {
		version = info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == ModulePath && version == "" {
			version = d.Version
		}
	}
	if version == "" || version == "(devel)" {
		return "", false
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", ModulePath+"@"+version)
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return "", false
	}
	var mod struct{ Dir string }
	if json.Unmarshal(out, &mod) != nil || mod.Dir == "" {
		return "", false
	}
	return mod.Dir, isThisModule(filepath.Join(mod.Dir, "go.mod"))
}

func isThisModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == ModulePath
		}
	}
	return false
}
