// Package golden compares generated artifacts with files under testdata/,
// named after the test, and rewrites them when tests run with -update.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Path is the golden file for the running test and artifact:
// testdata/<TestName>_<artifact>.
func Path(t testing.TB, artifact string) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return filepath.Join("testdata", name+"_"+artifact)
}

func readOrUpdate(t testing.TB, artifact string, got []byte) []byte {
	t.Helper()
	p := Path(t, artifact)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading golden file %s (run go test -update to create it): %v", p, err)
	}
	return want
}

// JSON compares got with the golden JSON file semantically: key order and
// whitespace do not matter, values do.
func JSON(t testing.TB, artifact string, got []byte) {
	t.Helper()
	want := readOrUpdate(t, artifact, got)
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file %s is not JSON: %v", Path(t, artifact), err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("output differs from %s (review, then go test -update):\n--- got\n%s\n--- want\n%s", Path(t, artifact), got, want)
	}
}

// Text compares got with the golden file byte for byte.
func Text(t testing.TB, artifact string, got []byte) {
	t.Helper()
	want := readOrUpdate(t, artifact, got)
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (review, then go test -update):\n--- got\n%s\n--- want\n%s", Path(t, artifact), got, want)
	}
}
