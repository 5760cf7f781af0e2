// Package psparse parses PowerShell scripts with a real PowerShell grammar,
// tree-sitter-powershell (its WebAssembly build, run by web-tree-sitter
// under Node), so tests check that what the project renders for Windows is
// PowerShell, and that every value they put in a script sits inside a
// single-quoted string. The parser is a test-only Node package in
// tests/psparse:
//
//	cd tests/psparse && npm ci
//
// https://github.com/airbus-cert/tree-sitter-powershell
// https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_quoting_rules
package psparse
