package graph_test

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

// Profile reads a per-user source attribute the same way whichever it is:
// its own property, or a slot of onPremisesExtensionAttributes.
func ExampleProfile_Attribute() {
	sam, slot := "ASmith", "asmith"
	p := graph.Profile{
		UserPrincipalName:             "alice.smith@corp.example",
		OnPremisesSamAccountName:      &sam,
		OnPremisesExtensionAttributes: map[string]*string{"extensionAttribute3": &slot, "extensionAttribute4": nil},
	}
	for _, attr := range []string{"onPremisesSamAccountName", "extensionAttribute3", "extensionAttribute4"} {
		prop, _ := graph.ProfileProperty(attr)
		v, _ := p.Attribute(attr)
		fmt.Printf("%s ($select=%s): %q\n", attr, prop, v)
	}
	// Output:
	// onPremisesSamAccountName ($select=onPremisesSamAccountName): "ASmith"
	// extensionAttribute3 ($select=onPremisesExtensionAttributes): "asmith"
	// extensionAttribute4 ($select=onPremisesExtensionAttributes): ""
}
