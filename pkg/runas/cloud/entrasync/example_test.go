package entrasync_test

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/entrasync"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Compute decides each person's value from their direct role groups, revokes
// role accounts of people in no role group, and leaves other values alone.
func ExampleCompute() {
	user := func(id, value string) graph.User {
		return graph.User{ID: id, UserPrincipalName: id + "@corp.example",
			OnPremisesExtensionAttributes: map[string]string{"extensionAttribute1": value}}
	}
	plan := entrasync.Compute(entrasync.Input{
		Attribute:    "extensionAttribute1",
		RevokedValue: "ssm-revoked",
		Roles: []entrasync.Role{
			{Name: "admin", Group: "SG-Admin", Value: "admin", Precedence: 1},
			{Name: "developer", Group: "SG-Dev", Value: "developer", Precedence: 2},
		},
		Members: map[string][]graph.User{
			"admin":     {user("bob", "developer")},
			"developer": {user("alice", ""), user("bob", "developer")},
		},
		Holders: []graph.User{user("bob", "developer"), user("carol", "admin"), user("dave", "CC-4711")},
	})
	for _, c := range plan.Changes {
		fmt.Printf("%s: %q -> %q\n", c.UPN, c.From, c.To)
	}
	for _, f := range plan.Foreign {
		fmt.Printf("%s: %q left alone\n", f.UPN, f.Value)
	}
	// Output:
	// alice@corp.example: "" -> "developer"
	// bob@corp.example: "developer" -> "admin"
	// carol@corp.example: "admin" -> "ssm-revoked"
	// dave@corp.example: "CC-4711" left alone
}

// MappingSourceFor gives the per-user models' lower-casing expression.
func ExampleMappingSourceFor() {
	e := &settings.Entra{SCIM: settings.SCIM{SourceAttribute: "onPremisesSamAccountName", Mapping: settings.MappingLowercase}}
	fmt.Println(entrasync.MappingSourceFor(e).Expression)
	// Output: ToLower([onPremisesSamAccountName], )
}
