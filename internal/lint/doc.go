// Package lint holds checks over the project's own source that the
// compiler and go vet cannot make: mistakes with a known shape that
// passed review and tests before and were caught only by a flaky CI run.
package lint
