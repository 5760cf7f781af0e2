package graph_test

import (
	"fmt"
	"os"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

// MapAttribute edits the one mapping in a schema read from Graph and keeps
// the rest, ready to be PUT back.
func ExampleMapAttribute() {
	schema, err := os.ReadFile("testdata/schema.json")
	if err != nil {
		panic(err)
	}
	_, changes, err := graph.MapAttribute(schema, graph.ToLowerSource("onPremisesSamAccountName"),
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter")
	if err != nil {
		panic(err)
	}
	for _, c := range changes {
		fmt.Printf("%s %s: %s\n", c.Action, c.ObjectMapping, c.After)
	}
	// Output: added Provision Microsoft Entra ID Users: ToLower([onPremisesSamAccountName], )
}
