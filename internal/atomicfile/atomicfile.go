// Package atomicfile writes output files.
//
// Deprecated: use internal/outfile, which also writes devices, pipes and
// descriptors through instead of renaming over them. Write is kept for the
// callers that still import this package and forwards to outfile.Write.
package atomicfile

import (
	"os"

	"github.com/ssm-runas/ssm-runas/internal/outfile"
)

// Write puts data at path as outfile.Write does.
//
// Deprecated: use outfile.Write.
func Write(path string, data []byte, perm os.FileMode) error {
	return outfile.Write(path, data, perm)
}
