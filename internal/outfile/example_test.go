package outfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ssm-runas/ssm-runas/internal/outfile"
)

// A command writes its result where --out says, after refusing an output
// that is its own input.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "outfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.xml")
	if err := os.WriteFile(in, []byte("<signed/>"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(errors.Is(outfile.CheckNotInput(in, in), outfile.ErrSameFile))

	out := filepath.Join(dir, "out.xml")
	if err := outfile.Write(out, []byte("<stripped/>"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(out)
	fmt.Println(string(b))
	fmt.Println(outfile.Write(dir, nil, 0o644) != nil)
	// Output:
	// true
	// <stripped/>
	// true
}
