package audit_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// TestPerUserValuesAgainstMoto seeds moto's identity store with the people
// of the per-user example and checks the audit finds exactly the values a
// session would refuse or share.
//
// The example reads the value from ${path:enterprise.costCenter}, but
// moto's identity store keeps no extensions (see TestAttributeValue, which
// checks the enterprise path on the SDK's own types), so the test moves the
// value to ${path:title}, which moto stores and returns.
func TestPerUserValuesAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	require.Equal(t, "${path:enterprise.costCenter}", c.IdentityCenter.RunAsSource)
	require.Contains(t, c.ReservedRunAsUsers(), "ec2-user", "the example's guardrail must reserve ec2-user")
	c.IdentityCenter.RunAsSource = "${path:title}"
	store := aws.String(c.IdentityCenter.IdentityStoreID)

	ids := identitystore.NewFromConfig(srv.Config(c.IdentityCenter.Region))
	group := map[string]string{}
	for _, g := range []string{"SG-AWS-SSM-Linux-Users", "SG-AWS-SSM-DB-Operators"} {
		out, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String(g)})
		require.NoError(t, err)
		group[g] = aws.ToString(out.GroupId)
	}
	const users, db = "SG-AWS-SSM-Linux-Users", "SG-AWS-SSM-DB-Operators"
	for _, u := range []struct {
		name, value string
		groups      []string
	}{
		{"alice", "alice", []string{users, db}}, // in both groups: one person, one value
		{"bob", "alice", []string{users}},
		{"carol", "", []string{users}},
		{"dave", "john.smith", []string{db}},
		{"eve", "ec2-user", []string{db}},
		{"frank", "frank", nil},
		{"grace", "Alice", []string{users}}, // not lower-cased by SCIM, and alice's in lower case
		{"heidi", "heidi ", []string{users}},
		{"ivan", "ivan", []string{db}},
		{"judy", "Ivan ", []string{db}}, // the agent's shell drops the space: ivan's account
	} {
		in := &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String(u.name),
			DisplayName: aws.String(u.name), Name: &idstypes.Name{GivenName: aws.String(u.name), FamilyName: aws.String("Example")}}
		if u.value != "" {
			in.Title = aws.String(u.value)
		}
		out, err := ids.CreateUser(ctx, in)
		require.NoError(t, err)
		for _, g := range u.groups {
			_, err := ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store,
				GroupId: aws.String(group[g]), MemberId: &idstypes.MemberIdMemberUserId{Value: aws.ToString(out.UserId)}})
			require.NoError(t, err)
		}
	}

	want := []string{
		"value-duplicate alice",
		"value-duplicate bob",
		"value-missing carol",
		"value-invalid dave",
		"value-reserved eve",
		"value-invalid grace",
		"value-duplicate grace",
		"value-invalid heidi",
		"value-duplicate ivan",
		"value-invalid judy",
		"value-duplicate judy",
	}
	for _, model := range []settings.Model{settings.ModelPerUser, settings.ModelDomainController} {
		// The domain-controller model reads people's values the same way;
		// only the model is switched, the rest of the example stays.
		c.Model = model
		got, err := audit.CheckUsers(ctx, ids, c)
		require.NoError(t, err, model)
		assert.ElementsMatch(t, want, subjects(got), "%s: %v", model, findings(got))
		for _, f := range got {
			switch f.Check + " " + f.Subject {
			case "value-duplicate alice":
				assert.Equal(t, "alice (also held by bob, grace)", f.Got)
			case "value-duplicate bob":
				assert.Equal(t, "alice (also held by alice, grace)", f.Got)
			case "value-duplicate grace":
				assert.Equal(t, "Alice (also held by alice, bob)", f.Got)
			case "value-reserved eve", "value-invalid dave":
				assert.NotEmpty(t, f.Want, "the finding must say what is expected")
			}
		}
	}

	// A permission set whose group SCIM never provisioned.
	c.Model = settings.ModelPerUser
	c.PerUser.PermissionSets = append(c.PerUser.PermissionSets, settings.PerUserAccess{EntraGroup: "SG-AWS-SSM-Unprovisioned"})
	got, err := audit.CheckUsers(ctx, ids, c)
	require.NoError(t, err)
	assert.ElementsMatch(t, append([]string{"group-missing SG-AWS-SSM-Unprovisioned"}, want...), subjects(got), findings(got))
}

func subjects(fs []audit.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Check+" "+f.Subject)
	}
	return out
}
