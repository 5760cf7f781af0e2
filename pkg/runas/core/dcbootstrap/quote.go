package dcbootstrap

import (
	"strings"
	"unicode"
)

// psSingleQuotes are the characters PowerShell reads as a single quote:
// the ASCII apostrophe and the four typographic single quotes. Inside a
// single-quoted string each of them is escaped by doubling it.
const psSingleQuotes = "'\u2018\u2019\u201a\u201b"

// psQuote renders s as a PowerShell single-quoted string: nothing in it is
// expanded ($, `, $( ) and ${ } stay as they are), and every kind of single
// quote is doubled.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune(psSingleQuotes, r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// psArray renders values as a PowerShell array of single-quoted strings.
func psArray(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = psQuote(v)
	}
	return "@(" + strings.Join(q, ", ") + ")"
}

// shQuote renders s as one bash word, single-quoted.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// plain reports whether s has no control characters (a newline in a
// value would end a log line or a command).
func plain(s string) bool {
	return !strings.ContainsFunc(s, unicode.IsControl)
}
