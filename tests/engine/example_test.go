package engine

import "fmt"

// A fresh organization's identity store holds no group until SCIM has
// provisioned it; tests call ProvisionGroups where SCIM would run.
func ExampleWorld_ProvisionGroups() {
	w := NewWorld()
	fmt.Printf("before SCIM: %q\n", w.GroupID("SG-AWS-SSM-Admin"))
	w.ProvisionGroups("SG-AWS-SSM-Admin")
	fmt.Println("after SCIM, an identity store id:", principalIDPattern.MatchString(w.GroupID("SG-AWS-SSM-Admin")))
	// Output:
	// before SCIM: ""
	// after SCIM, an identity store id: true
}
