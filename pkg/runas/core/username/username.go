// Package username holds the one rule for Linux user names that reach an
// SSM Session Manager Run As setting.
//
// The SSM Agent checks a Run As user by running a shell command with the name
// in it (`id <name>`), so a name is validated strictly wherever it enters the
// project: the configuration, the custom resource the Lambda receives, the
// attribute values the audit reads. Names follow the portable Linux rules
// (letters, digits, `_` and `-`, not leading `-`, not all digits, at most 32
// characters), narrowed to lower case, and `root` is refused because Session
// Manager does not allow it.
//
// https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html
package username

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MaxLength is the longest Linux user name useradd accepts.
const MaxLength = 32

// Pattern is the rule every Run As user name must match.
const Pattern = `^[a-z_][a-z0-9_-]{0,31}$`

var re = regexp.MustCompile(Pattern)

// ErrRoot is returned for `root`, which Session Manager refuses as a Run As user.
var ErrRoot = errors.New("root is not allowed as a Run As user")

// ErrPattern is returned for a name that breaks Pattern.
var ErrPattern = fmt.Errorf("must match %s", Pattern)

// Validate returns nil for a usable Run As user name. Its errors are rules
// phrased to follow a field path ("must match ...").
func Validate(name string) error {
	if !re.MatchString(name) {
		return ErrPattern
	}
	if name == "root" {
		return ErrRoot
	}
	return nil
}

// Account is the host account a Run As value lands on, for telling whether
// two values are one account: the SSM agent passes the value to `sh -c`,
// which drops surrounding whitespace, and joined hosts look names up
// without regard to case. Values with the same Account share one OS
// identity.
func Account(value string) string { return strings.ToLower(strings.TrimSpace(value)) }
