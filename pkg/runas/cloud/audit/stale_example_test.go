package audit_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// exampleStore is an identity store holding one group, SG-AWS-SSM-Linux-Users,
// whose members hold their Run As value in title. A real caller passes
// *identitystore.Client.
type exampleStore map[string]string // userName -> title

func (exampleStore) GetGroupId(context.Context, *identitystore.GetGroupIdInput, ...func(*identitystore.Options)) (*identitystore.GetGroupIdOutput, error) {
	return &identitystore.GetGroupIdOutput{GroupId: aws.String("g-linux")}, nil
}

func (s exampleStore) ListGroupMemberships(context.Context, *identitystore.ListGroupMembershipsInput, ...func(*identitystore.Options)) (*identitystore.ListGroupMembershipsOutput, error) {
	out := &identitystore.ListGroupMembershipsOutput{}
	for name := range s {
		out.GroupMemberships = append(out.GroupMemberships, idstypes.GroupMembership{MemberId: &idstypes.MemberIdMemberUserId{Value: "id-" + name}})
	}
	return out, nil
}

func (s exampleStore) ListUsers(context.Context, *identitystore.ListUsersInput, ...func(*identitystore.Options)) (*identitystore.ListUsersOutput, error) {
	out := &identitystore.ListUsersOutput{}
	for name, title := range s {
		out.Users = append(out.Users, idstypes.User{UserId: aws.String("id-" + name), UserName: aws.String(name), Title: aws.String(title)})
	}
	return out, nil
}

// exampleEntra is Entra ID with each person's onPremisesSamAccountName
// ("" when AD cleared it). A real caller passes *graph.Client.
type exampleEntra map[string]string // userPrincipalName -> sAMAccountName

func (exampleEntra) GroupByName(_ context.Context, name string) (graph.Group, error) {
	return graph.Group{ID: "entra-" + name, DisplayName: name}, nil
}

func (e exampleEntra) GroupMemberProfiles(context.Context, string, string) ([]graph.Profile, error) {
	var out []graph.Profile
	for upn, sam := range e {
		p := graph.Profile{UserPrincipalName: upn}
		if sam != "" {
			p.OnPremisesSamAccountName = aws.String(sam)
		}
		out = append(out, p)
	}
	return out, nil
}

func (exampleEntra) UserProfile(_ context.Context, upn, _ string) (graph.Profile, error) {
	return graph.Profile{}, &graph.Error{Method: "GET", Path: "/v1.0/users/" + upn, Status: 404, Code: "Request_ResourceNotFound"}
}

// CheckStaleValues finds the people whose Identity Center value outlived
// the Entra attribute it was provisioned from. Without Entra ID it does
// not pass the check: it says it did not run.
func ExampleCheckStaleValues() {
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	if err != nil {
		panic(err)
	}
	c.IdentityCenter.RunAsSource = "${path:title}"
	c.PerUser.PermissionSets = c.PerUser.PermissionSets[:1]
	store := exampleStore{"alice@corp.example": "alice", "bob@corp.example": "bob", "carol@corp.example": "carol"}
	entra := exampleEntra{"alice@corp.example": "Alice", "bob@corp.example": "", "carol@corp.example": "CJones"}

	findings, err := audit.CheckStaleValues(context.Background(), store, entra, c)
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Printf("%s %s: got %s, want %s\n", f.Check, f.Subject, f.Got, f.Want)
	}
	_, err = audit.CheckStaleValues(context.Background(), store, nil, c)
	fmt.Println(err != nil)
	// Output:
	// value-stale bob@corp.example: got bob (sessions still open as it), want no value: onPremisesSamAccountName is empty in Entra ID, and provisioning does not clear the Identity Center attribute
	// value-stale carol@corp.example: got carol, want cjones (from onPremisesSamAccountName "CJones" in Entra ID)
	// true
}

// CheckUsers judges, in the per-user models, the value each person
// assigned a per-user permission set holds: one valid Run As name (the
// finding names the rule it breaks), not reserved, held by no one else.
func ExampleCheckUsers_perUser() {
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	if err != nil {
		panic(err)
	}
	c.IdentityCenter.RunAsSource = "${path:title}"
	c.PerUser.PermissionSets = c.PerUser.PermissionSets[:1]
	store := exampleStore{
		"alice@corp.example": "alice",
		"bob@corp.example":   "root",
		"carol@corp.example": "Carol",
		"dave@corp.example":  "ec2-user",
		"erin@corp.example":  "alice",
		"frank@corp.example": "",
	}

	findings, err := audit.CheckUsers(context.Background(), store, c)
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Printf("%s %s: want %s, got %s\n", f.Check, f.Subject, f.Want, f.Got)
	}
	// Output:
	// value-duplicate alice@corp.example: want a value no one else holds, got alice (also held by erin@corp.example)
	// value-invalid bob@corp.example: want a Run As user name: root is not allowed as a Run As user, got root
	// value-invalid carol@corp.example: want a Run As user name: must match ^[a-z_][a-z0-9_-]{0,31}$, got Carol
	// value-reserved dave@corp.example: want not one of admin, almalinux, alpine, arch, bitnami, centos, cloud-user, core, debian, ec2-user, fedora, kali, opc, rocky, root, ssm-user, ubuntu (the guardrail refuses them), got ec2-user
	// value-duplicate erin@corp.example: want a value no one else holds, got alice (also held by alice@corp.example)
	// value-missing frank@corp.example: want their own account name in ${path:title}, got (none): sessions are refused
}
