package outfile_test

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/outfile"
)

func TestWriteRegularFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.xml")
	for _, content := range []string{"first", "second"} {
		require.NoError(t, outfile.Write(p, []byte(content), 0o644))
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, content, string(got))
	}
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), fi.Mode().Perm())

	// Replacing keeps the file's own permissions.
	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, outfile.Write(p, []byte("third"), 0o644))
	fi, err = os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	// A symlink to a regular file: the target is replaced, the link stays.
	link := filepath.Join(dir, "link.xml")
	require.NoError(t, os.Symlink("out.xml", link))
	require.NoError(t, outfile.Write(link, []byte("through the link"), 0o644))
	lfi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, lfi.Mode()&fs.ModeSymlink, "the link must stay a link")
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "through the link", string(got))

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary files left behind")

	assert.Error(t, outfile.Write(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644), "a missing directory")
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	err := outfile.Write(dir, []byte("x"), 0o644)
	assert.ErrorIs(t, err, outfile.ErrNotWritable)
	assert.ErrorContains(t, err, "is a directory")

	dangling := filepath.Join(dir, "dangling")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), dangling))
	err = outfile.Write(dangling, []byte("x"), 0o644)
	assert.ErrorIs(t, err, outfile.ErrNotWritable)
	assert.ErrorContains(t, err, "missing file")
	_, err = os.Lstat(filepath.Join(dir, "nowhere"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// readAll drains r in the background, as the other end of a pipe does.
func readAll(r io.Reader) <-chan string {
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		got <- string(b)
	}()
	return got
}

func TestWriteNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	require.NoError(t, outfile.Write(fifo, []byte("through the pipe"), 0o644))
	select {
	case s := <-got:
		assert.Equal(t, "through the pipe", s)
	case <-time.After(5 * time.Second):
		// The reader still waits on the pipe: the write went elsewhere.
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			w.Close()
		}
		t.Fatal("nothing reached the pipe's reader")
	}
	fi, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&fs.ModeNamedPipe, "the pipe must stay a pipe")
}

// TestWriteDescriptor covers --out /dev/stdout through a symlink and the
// /dev/fd/N a shell's >(cmd) passes.
func TestWriteDescriptor(t *testing.T) {
	for _, viaLink := range []bool{false, true} {
		t.Run(fmt.Sprintf("via link %v", viaLink), func(t *testing.T) {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			got := readAll(r)
			path := fmt.Sprintf("/dev/fd/%d", w.Fd())
			if viaLink {
				link := filepath.Join(t.TempDir(), "stdout")
				require.NoError(t, os.Symlink(path, link))
				path = link
				defer func() {
					fi, err := os.Lstat(link)
					require.NoError(t, err)
					assert.NotZero(t, fi.Mode()&fs.ModeSymlink, "the link must stay a link")
				}()
			}
			require.NoError(t, outfile.Write(path, []byte("through the descriptor"), 0o644))
			require.NoError(t, w.Close())
			select {
			case s := <-got:
				assert.Equal(t, "through the descriptor", s)
			case <-time.After(5 * time.Second):
				t.Fatal("nothing reached the pipe's reader")
			}
		})
	}

	// A descriptor open on a regular file (>> log): appended to, not
	// replaced.
	log := filepath.Join(t.TempDir(), "log")
	require.NoError(t, os.WriteFile(log, []byte("before\n"), 0o644))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	before, err := os.Stat(log)
	require.NoError(t, err)
	require.NoError(t, outfile.Write(fmt.Sprintf("/dev/fd/%d", f.Fd()), []byte("after\n"), 0o644))
	got, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, "before\nafter\n", string(got))
	after, err := os.Stat(log)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after), "the file must not be replaced")
}

// TestWriteFullDevice writes to a "full" device (major/minor of /dev/full):
// the write fails with ENOSPC and the device stays a device. As root it
// uses a copy of the node in a temporary directory, so a regression cannot
// replace the system's /dev/full.
func TestWriteFullDevice(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat("/dev/full", &st); err != nil {
		t.Skipf("/dev/full does not exist here: %v", err)
	}
	dev := "/dev/full"
	node := filepath.Join(t.TempDir(), "full")
	if err := syscall.Mknod(node, syscall.S_IFCHR|0o666, int(st.Rdev)); err == nil {
		dev = node
	} else {
		require.ErrorIs(t, err, syscall.EPERM, "mknod failed for another reason than privilege")
	}
	err := outfile.Write(dev, []byte("data"), 0o644)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	fi, err := os.Lstat(dev)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&fs.ModeCharDevice, "the device must stay a device")
}

func TestCheckNotInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.xml")
	require.NoError(t, os.WriteFile(in, []byte("signed"), 0o644))
	hard := filepath.Join(dir, "hard.xml")
	require.NoError(t, os.Link(in, hard))
	soft := filepath.Join(dir, "soft.xml")
	require.NoError(t, os.Symlink(in, soft))
	other := filepath.Join(dir, "other.xml")
	require.NoError(t, os.WriteFile(other, []byte("x"), 0o644))

	for _, out := range []string{in, hard, soft, filepath.Join(dir, ".", "..", filepath.Base(dir), "in.xml")} {
		err := outfile.CheckNotInput(out, other, in)
		assert.ErrorIs(t, err, outfile.ErrSameFile, out)
	}
	assert.NoError(t, outfile.CheckNotInput(other, in))
	assert.NoError(t, outfile.CheckNotInput(filepath.Join(dir, "new.xml"), in))
	assert.NoError(t, outfile.CheckNotInput("/dev/null", "/dev/null"), "devices are not files to protect")
}
