package username_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"plain", "alice", nil},
		{"role account", "developer", nil},
		{"underscore first", "_svc", nil},
		{"dash inside", "ssm-user", nil},
		{"digits inside", "a1b2", nil},
		{"max length", strings.Repeat("a", 32), nil},
		{"too long", strings.Repeat("a", 33), username.ErrPattern},
		{"empty", "", username.ErrPattern},
		{"upper case", "Admin", username.ErrPattern},
		{"leading dash", "-rf", username.ErrPattern},
		{"all digits", "1234", username.ErrPattern},
		{"leading digit", "1abc", username.ErrPattern},
		{"space", "al ice", username.ErrPattern},
		{"shell metachar", "a;id", username.ErrPattern},
		{"command substitution", "$(id)", username.ErrPattern},
		{"domain qualified", "alice@corp", username.ErrPattern},
		{"dot", "a.b", username.ErrPattern},
		{"newline", "alice\n", username.ErrPattern},
		{"root", "root", username.ErrRoot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := username.Validate(tc.in)
			if tc.want == nil {
				assert.NoError(t, err, "Validate(%q)", tc.in)
				return
			}
			assert.ErrorIs(t, err, tc.want, "Validate(%q)", tc.in)
		})
	}
}

func ExampleValidate() {
	for _, name := range []string{"developer", "Admin!", "root"} {
		fmt.Printf("%s: %v\n", name, username.Validate(name))
	}
	// Output:
	// developer: <nil>
	// Admin!: must match ^[a-z_][a-z0-9_-]{0,31}$
	// root: root is not allowed as a Run As user
}

func TestAccount(t *testing.T) {
	for _, same := range [][2]string{{"alice", "Alice"}, {"alice", "alice "}, {"alice", " ALICE\t"}} {
		assert.Equal(t, username.Account(same[0]), username.Account(same[1]), "%q and %q land on one account", same[0], same[1])
	}
	assert.NotEqual(t, username.Account("alice"), username.Account("alice2"))
	assert.NotEqual(t, username.Account("al ice"), username.Account("alice"), "inner space is another word to the shell, not the same name")
}
