package sessiondoc

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/jsoneq"

// Apply returns the document with the managed inputs of pr written over
// existing, which may be nil when the account has no document yet.
//
// Deprecated: use Parse once where the content arrives, then Desired (or
// Decide) on the typed Document, and Marshal where it leaves.
func Apply(existing []byte, pr *Preferences) ([]byte, error) {
	var cur *Document
	if existing != nil {
		d, err := Parse(existing)
		if err != nil {
			return nil, err
		}
		cur = &d
	}
	return Desired(cur, pr).Marshal(), nil
}

// Diff lists the inputs and envelope fields whose values differ between got
// and want. A nil got means no document.
//
// Deprecated: use Changes on parsed Documents, or Decision.Changes.
func Diff(got, want []byte) ([]Change, error) {
	wd, err := Parse(want)
	if err != nil {
		return nil, err
	}
	var gd *Document
	if got != nil {
		d, err := Parse(got)
		if err != nil {
			return nil, err
		}
		gd = &d
	}
	return Changes(gd, wd), nil
}

// Equal reports whether two JSON texts have the same content, ignoring
// formatting and key order.
//
// Deprecated: use Document.Equal for documents and jsoneq.Equal for other
// JSON (such as the SCP).
func Equal(a, b []byte) bool { return jsoneq.Equal(a, b) }
