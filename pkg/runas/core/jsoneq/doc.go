// Package jsoneq compares JSON texts by value: key order, whitespace and
// number spelling (1 and 1.0) do not matter, every value does. The audit
// uses it to tell whether a policy or document held by AWS is the one this
// project would write, whatever formatting AWS gave it back in.
//
// JSON values: https://www.rfc-editor.org/rfc/rfc8259
package jsoneq
