package entrasync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

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

// ConfigureMapping runs the whole mapping workflow against Graph. Here a
// local server answers with the recorded Graph shapes; a real run passes a
// client for graph.DefaultBaseURL with the tenant's credentials.
func ExampleConfigureMapping() {
	replies := map[string]string{
		"/synchronization/templates": "../graph/testdata/templates.json",
		"/synchronization/jobs":      "../graph/testdata/jobs.json",
		"/schema":                    "../graph/testdata/schema.json",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for suffix, file := range replies {
			if strings.HasSuffix(r.URL.Path, suffix) {
				body, _ := os.ReadFile(file)
				w.Header().Set("Content-Type", "application/json")
				w.Write(body)
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	gc, err := graph.New(srv.URL+"/v1.0", graph.StaticToken("token"), graph.Options{})
	if err != nil {
		panic(err)
	}

	req := entrasync.MappingRequestFor(&settings.Entra{SCIM: settings.SCIM{
		SourceAttribute: "onPremisesSamAccountName",
		Mapping:         settings.MappingLowercase,
		TargetAttribute: settings.DefaultTargetAttribute,
		TemplateID:      settings.DefaultSyncTemplateID,
	}})
	req.ServicePrincipalID = "5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b"       // the stack output servicePrincipalObjectId
	res, err := entrasync.ConfigureMapping(context.Background(), gc, req) // a dry run: req.Apply is false
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Template.Note)
	for _, c := range res.Changes {
		fmt.Printf("%s: %s\n", c.Action, c.After)
	}
	// Output:
	// template aWSSingleSignon found by factory tag aWSSingleSignon
	// added: ToLower([onPremisesSamAccountName], )
}
