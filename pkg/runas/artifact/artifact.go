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
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssm-runas/ssm-runas/internal/atomicfile"
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
	return atomicfile.Write(path, data, 0o644)
}

// findModule locates this module's source: the working directory's module
// when it is this one, else wherever `go list -m` resolves it.
func findModule(ctx context.Context) (string, error) {
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isThisModule(filepath.Join(dir, "go.mod")) {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", ModulePath).Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		var ee *exec.ExitError
		msg := ""
		if errors.As(err, &ee) {
			msg = ": " + strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("building the writer: cannot find the %s source from here%s; run from the checkout or set writer.zipPath", ModulePath, msg)
	}
	return dir, nil
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
