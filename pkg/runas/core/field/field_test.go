package field_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

func TestListReportsEveryProblemOnItsOwnLine(t *testing.T) {
	var l field.List
	require.NoError(t, l.Err(), "an empty list is no error")
	root := field.Path("roles")
	l.Add(field.Invalid(root.Index(2).Child("linuxUser"), "Admin!", "must match ^[a-z_][a-z0-9_-]{0,31}$"), nil,
		field.Required(field.Path("organization").Child("regions"), ""))
	assert.EqualError(t, l.Err(), "roles[2].linuxUser \"Admin!\": must match ^[a-z_][a-z0-9_-]{0,31}$\norganization.regions: is required")
	var list field.List
	require.ErrorAs(t, l.Err(), &list)
	assert.Len(t, list, 2)
}

func TestPathKeyAndEmptyValue(t *testing.T) {
	p := field.Path("tags").Key("a b")
	assert.Equal(t, field.Path(`tags["a b"]`), p)
	assert.Equal(t, `x "": must not be empty`, field.Invalid("x", "", "must not be empty").Error())
	assert.Equal(t, `top: is required`, field.Required(field.Path("").Child("top"), "").Error())
}

func ExamplePath() {
	p := field.Path("organization").Child("targets").Index(1)
	fmt.Println(field.Invalid(p, "ou-bad", "must be a root id (r-...) or an OU id (ou-...)"))
	// Output: organization.targets[1] "ou-bad": must be a root id (r-...) or an OU id (ou-...)
}
