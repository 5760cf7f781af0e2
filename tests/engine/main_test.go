package engine

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the stack program built for this run.
func TestMain(m *testing.M) {
	code := m.Run()
	if programPath != "" {
		_ = os.RemoveAll(filepath.Dir(programPath))
	}
	os.Exit(code)
}
