// Package artifact builds the project's Lambda zips (the preferences writer
// and the session broker) reproducibly, so an unchanged source tree yields
// the same bytes, the same digest, and no diff in a preview. The writer's S3
// key is content-addressed (ssm-prefs-writer/<sha256>.zip): a changed
// writer is a new object, which is what makes CloudFormation update the
// function in every account. The broker's zip is uploaded with its function
// and its digest is the function's source code hash.
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
	"debug/elf"
	"encoding/base64"
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

// BrokerPackage is the session broker's main package, relative to the
// module root.
const BrokerPackage = "./cmd/ssm-runas-broker"

// DefaultArch is the architecture the Lambdas are built for unless
// BuildOptions.Arch says otherwise; the functions declare the same.
const DefaultArch = "arm64"

// Lambda is one of the project's Lambda functions: what to build and how
// to name it.
type Lambda struct {
	// Name prefixes the zip's file name (<Name>-<sha256>.zip).
	Name string
	// Package is the main package, relative to the module root.
	Package string
	// Setting is the configuration key of a prebuilt zip, for messages.
	Setting string
	// what names the function in messages.
	what string
}

// The project's Lambdas.
var (
	// Writer is the member accounts' preferences writer.
	Writer = Lambda{Name: "ssm-prefs-writer", Package: WriterPackage, Setting: "writer.zipPath", what: "the writer"}
	// Broker is the per-permission-set model's session broker.
	Broker = Lambda{Name: "ssm-runas-broker", Package: BrokerPackage, Setting: "broker.zipPath", what: "the broker"}
)

// Zip is a built Lambda package.
type Zip struct {
	// Path is the zip on disk.
	Path string
	// SHA256 is the hex digest of the zip's bytes.
	SHA256 string
}

// Key is the writer zip's S3 key in every artifact bucket.
func (z Zip) Key() string { return naming.WriterArtifactKeyPrefix + z.SHA256 + ".zip" }

// notBuiltDigest stands in for the digest of a writer that was not built.
const notBuiltDigest = "not-built"

// NotBuilt stands for a writer that could not be built here (no source, no
// writer.zipPath). Only an offline preview may use it: its key names no
// real object, so deploying it would fail in every member account.
var NotBuilt = Writer.NotBuilt()

// NotBuilt stands for l's zip when it could not be built here (no source,
// no zip path set). Only an offline preview may use it: its path names no
// file, so deploying it fails.
func (l Lambda) NotBuilt() Zip {
	return Zip{Path: l.Name + "-not-built.zip", SHA256: notBuiltDigest}
}

// Built reports whether z is a real zip rather than NotBuilt.
func (z Zip) Built() bool { return z.SHA256 != "" && z.SHA256 != notBuiltDigest }

// ErrSourceNotFound means the module's source is not on this machine: the
// working directory is not the checkout, the binary was built without its
// source path, and the module cache does not hold this module.
var ErrSourceNotFound = errors.New("the module's source was not found")

// zipEpoch is the fixed modification time of the zip entry (the zip format
// cannot express earlier).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildOptions tune a build.
type BuildOptions struct {
	// ModuleDir is optional: the source tree to build from. By default the
	// module is found from the working directory, or through `go list -m`
	// when the program is another module that imports this one.
	ModuleDir string
	// OutDir is optional, default <user cache dir>/ssm-runas.
	OutDir string
	// Arch is optional, default DefaultArch (the architecture the member
	// template and the broker function declare).
	Arch string
}

// BuildWriter compiles the writer for provided.al2023 and zips it.
func BuildWriter(ctx context.Context, opts BuildOptions) (Zip, error) {
	return Writer.Build(ctx, opts)
}

// BuildBroker compiles the session broker for provided.al2023 and zips it.
func BuildBroker(ctx context.Context, opts BuildOptions) (Zip, error) {
	return Broker.Build(ctx, opts)
}

// Build compiles l for provided.al2023 and zips it.
func (l Lambda) Build(ctx context.Context, opts BuildOptions) (Zip, error) {
	if opts.Arch == "" {
		opts.Arch = DefaultArch
	}
	if opts.OutDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return Zip{}, fmt.Errorf("building %s: no cache directory: %w", l.what, err)
		}
		opts.OutDir = filepath.Join(cache, "ssm-runas")
	}
	if opts.ModuleDir == "" {
		dir, err := findModule(ctx)
		if err != nil {
			return Zip{}, fmt.Errorf("building %s: %w: run from the checkout, install a released version (go install %s/cmd/runas@<version>), or set %s", l.what, err, ModulePath, l.Setting)
		}
		opts.ModuleDir = dir
	} else if !isThisModule(filepath.Join(opts.ModuleDir, "go.mod")) {
		return Zip{}, fmt.Errorf("building %s from %s: %w (no go.mod of %s there)", l.what, opts.ModuleDir, ErrSourceNotFound, ModulePath)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return Zip{}, fmt.Errorf("building %s: %w", l.what, err)
	}
	tmp, err := os.MkdirTemp(opts.OutDir, "build-")
	if err != nil {
		return Zip{}, fmt.Errorf("building %s: %w", l.what, err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags=-s -w -buildid=", "-o", bin, l.Package)
	cmd.Dir = opts.ModuleDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+opts.Arch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Zip{}, fmt.Errorf("building %s in %s: %w: %s", l.what, opts.ModuleDir, err, strings.TrimSpace(stderr.String()))
	}
	return l.packZip(bin, opts.OutDir)
}

// packZip writes a one-entry zip of bin, named by its digest, into dir.
func (l Lambda) packZip(bin, dir string) (Zip, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return Zip{}, fmt.Errorf("packaging %s: %w", l.what, err)
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
		return Zip{}, fmt.Errorf("packaging %s: %w", l.what, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	z := Zip{SHA256: hex.EncodeToString(sum[:])}
	z.Path = filepath.Join(dir, l.Name+"-"+z.SHA256+".zip")
	if err := writeZip(z.Path, buf.Bytes()); err != nil {
		return Zip{}, fmt.Errorf("packaging %s: %w", l.what, err)
	}
	return z, nil
}

// FromFile uses a prebuilt writer zip (config writer.zipPath).
func FromFile(path string) (Zip, error) { return Writer.FromFile(path) }

// FromFile uses a prebuilt zip of l (its Setting names the config key).
func (l Lambda) FromFile(path string) (Zip, error) {
	f, err := os.Open(path)
	if err != nil {
		return Zip{}, fmt.Errorf("reading %s: %w", l.Setting, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Zip{}, fmt.Errorf("reading %s: %w", l.Setting, err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return Zip{}, fmt.Errorf("%s %s: not a zip: %w", l.Setting, path, err)
	}
	defer zr.Close()
	if err := checkStartable(&zr.Reader, DefaultArch); err != nil {
		return Zip{}, fmt.Errorf("%s %s: %w", l.Setting, path, err)
	}
	return Zip{Path: path, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// elfMachines are the ELF machines of the architectures Lambda runs.
var elfMachines = map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64, "x86_64": elf.EM_X86_64}

// checkStartable refuses a package the OS-only runtime cannot start: it
// runs the file named bootstrap at the zip's root, so that file must be
// there and, when it is an executable (not a script), be built for the
// function's architecture. Either mistake deploys without an error and
// fails every invocation (Runtime.InvalidEntrypoint).
// https://docs.aws.amazon.com/lambda/latest/dg/golang-package.html
func checkStartable(zr *zip.Reader, arch string) error {
	var boot *zip.File
	for _, f := range zr.File {
		if f.Name == "bootstrap" {
			boot = f
		}
	}
	if boot == nil {
		return errors.New("no file named bootstrap at the root of the zip: the provided.al2023 runtime starts that file")
	}
	rc, err := boot.Open()
	if err != nil {
		return fmt.Errorf("reading bootstrap: %w", err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("reading bootstrap: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		return nil // a script: the runtime runs it with its interpreter
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("reading bootstrap as an executable: %w", err)
	}
	if want, ok := elfMachines[arch]; ok && f.Machine != want {
		return fmt.Errorf("bootstrap is built for %s, the function runs on %s (%s): build it with GOOS=linux GOARCH=%s", f.Machine, arch, want, arch)
	}
	return nil
}

// SourceCodeHash is the zip's digest as Lambda reports it (CodeSha256:
// the base64 of the SHA-256 of the zip's bytes), or "" for a zip that was
// not built.
func (z Zip) SourceCodeHash() string {
	if !z.Built() {
		return ""
	}
	sum, err := hex.DecodeString(z.SHA256)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(sum)
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
	return "", ErrSourceNotFound
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
