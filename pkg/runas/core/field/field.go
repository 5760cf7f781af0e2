// Package field reports validation problems by the path of the field that
// breaks a rule, so that every reader of the configuration (the CLI, the
// stacks, the Lambda) prints the same one-line reasons.
//
// A problem reads `path "value": rule`, for example
//
//	roles[2].linuxUser "Admin!": must match ^[a-z_][a-z0-9_-]{0,31}$
package field

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a dotted field path such as `organization.targets[1]`.
type Path string

// Child returns the path of a named field below p.
func (p Path) Child(name string) Path {
	if p == "" {
		return Path(name)
	}
	return Path(string(p) + "." + name)
}

// Index returns the path of the i-th element of the list at p.
func (p Path) Index(i int) Path {
	return Path(string(p) + "[" + strconv.Itoa(i) + "]")
}

// Key returns the path of the map entry k of the map at p.
func (p Path) Key(k string) Path {
	return Path(string(p) + "[" + strconv.Quote(k) + "]")
}

// Error is one broken rule.
type Error struct {
	Path Path
	// Value is the offending value as the user wrote it; empty when the
	// problem is the absence of a value.
	Value string
	// HasValue tells whether Value should be printed (an empty string can
	// itself be the offending value).
	HasValue bool
	Rule     string
}

func (e *Error) Error() string {
	if e.HasValue {
		return fmt.Sprintf("%s %s: %s", e.Path, strconv.Quote(e.Value), e.Rule)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Rule)
}

// Invalid is a problem with a value.
func Invalid(p Path, value any, rule string) *Error {
	return &Error{Path: p, Value: fmt.Sprint(value), HasValue: true, Rule: rule}
}

// Required is a problem with a missing value.
func Required(p Path, rule string) *Error {
	if rule == "" {
		rule = "is required"
	}
	return &Error{Path: p, Rule: rule}
}

// List collects every problem found, so a user sees them all at once.
type List []*Error

// Add appends problems; nil entries are ignored.
func (l *List) Add(errs ...*Error) {
	for _, e := range errs {
		if e != nil {
			*l = append(*l, e)
		}
	}
}

// Extend appends every problem of other.
func (l *List) Extend(other List) { *l = append(*l, other...) }

// Err returns nil when the list is empty, else the list as an error.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error prints one problem per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
