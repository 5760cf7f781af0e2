package field_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

func TestListReportsEveryProblemOnItsOwnLine(t *testing.T) {
	var l field.List
	if l.Err() != nil {
		t.Fatal("empty list must be no error")
	}
	root := field.Path("roles")
	l.Add(field.Invalid(root.Index(2).Child("linuxUser"), "Admin!", "must match ^[a-z_][a-z0-9_-]{0,31}$"), nil,
		field.Required(field.Path("organization").Child("regions"), ""))
	want := "roles[2].linuxUser \"Admin!\": must match ^[a-z_][a-z0-9_-]{0,31}$\norganization.regions: is required"
	if got := l.Err().Error(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	var list field.List
	if !errors.As(l.Err(), &list) || len(list) != 2 {
		t.Fatalf("errors.As to field.List: %v", list)
	}
}

func ExamplePath() {
	p := field.Path("organization").Child("targets").Index(1)
	fmt.Println(field.Invalid(p, "ou-bad", "must be a root id (r-...) or an OU id (ou-...)"))
	// Output: organization.targets[1] "ou-bad": must be a root id (r-...) or an OU id (ou-...)
}
