package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrSameFile: the output is one of the command's inputs.
var ErrSameFile = errors.New("the output is the input")

// ErrNotWritable: the path names something output cannot go to.
var ErrNotWritable = errors.New("cannot write output there")

// Write puts data at path. A regular file (or a symlink to one) is replaced
// atomically, keeping its permission bits; a missing file is created with
// perm. Devices, pipes and descriptors are written through.
func Write(path string, data []byte, perm os.FileMode) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if lfi, lerr := os.Lstat(path); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symbolic link to a missing file", ErrNotWritable, path)
		}
		return replace(path, data, perm)
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%w: %s is a directory", ErrNotWritable, path)
	case fi.Mode()&fs.ModeSocket != 0:
		return fmt.Errorf("%w: %s is a socket", ErrNotWritable, path)
	case !fi.Mode().IsRegular():
		return through(path, data, os.O_WRONLY)
	}
	if viaDescriptor(path) {
		// /dev/stdout redirected to a file: append, as the shell's own
		// descriptor does after > (fresh, empty) or >> (a log).
		return through(path, data, os.O_WRONLY|os.O_APPEND)
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", path, err)
	}
	return replace(target, data, fi.Mode().Perm())
}

// CheckNotInput refuses an output path that is the same regular file as
// one of inputs (compared by device and inode, so links and other spellings
// of the path count), before anything is written over a signed original.
// Pipes and devices may be both: reading /dev/stdin and writing /dev/stdout
// on one terminal is fine.
func CheckNotInput(out string, inputs ...string) error {
	ofi, err := os.Stat(out)
	if err != nil || !ofi.Mode().IsRegular() {
		return nil
	}
	for _, in := range inputs {
		ifi, err := os.Stat(in)
		if err == nil && os.SameFile(ofi, ifi) {
			return fmt.Errorf("%w: %s and %s are the same file; write the output to another file", ErrSameFile, out, in)
		}
	}
	return nil
}

// viaDescriptor reports whether path reaches its file through /dev or
// /proc (e.g. /dev/stdout, /dev/fd/3, or a symlink to one): such a file is
// someone's open descriptor, to be written through, not renamed over.
func viaDescriptor(path string) bool {
	p := path
	for range 40 {
		abs, err := filepath.Abs(p)
		if err != nil {
			return false
		}
		if strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/") {
			return true
		}
		next, err := os.Readlink(abs)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(next) {
			next = filepath.Join(filepath.Dir(abs), next)
		}
		p = next
	}
	return false
}

// through opens what is at path (without creating or replacing it) and
// writes data to it.
func through(path string, data []byte, flag int) error {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		if errors.Is(err, syscall.ENXIO) {
			return fmt.Errorf("%w: %s has no reader", ErrNotWritable, path)
		}
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Close())
}

// syncFile is (*os.File).Sync; tests replace it to fail.
var syncFile = (*os.File).Sync

// replace writes data to a temporary file beside path, flushes it to disk
// and renames it over path, then flushes the directory so the rename
// survives a crash. On error the temporary file is removed and path is
// untouched.
func replace(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = syncFile(tmp); err != nil {
		return fmt.Errorf("flushing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(syncFile(d), d.Close())
}
