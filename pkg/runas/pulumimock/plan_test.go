package pulumimock_test

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/identitystore"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/organizations"
	"github.com/pulumi/pulumi-azuread/sdk/v5/go/azuread"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

func lookupGroup(ctx *pulumi.Context, name string) (*identitystore.LookupGroupResult, error) {
	return identitystore.LookupGroup(ctx, &identitystore.LookupGroupArgs{
		IdentityStoreId: "d-9067a1b2c3",
		AlternateIdentifier: &identitystore.GetGroupAlternateIdentifier{
			UniqueAttribute: &identitystore.GetGroupAlternateIdentifierUniqueAttribute{AttributePath: "DisplayName", AttributeValue: name},
		},
	})
}

func TestEmptyIdentityStore(t *testing.T) {
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := lookupGroup(ctx, "SG-Admin")
		assert.ErrorContains(t, err, "ResourceNotFoundException", "a fresh identity store has no groups")
		all, err := identitystore.GetGroups(ctx, &identitystore.GetGroupsArgs{IdentityStoreId: "d-9067a1b2c3"})
		require.NoError(t, err)
		assert.Empty(t, all.Groups)
		_, err = azuread.LookupGroup(ctx, &azuread.LookupGroupArgs{DisplayName: pulumi.StringRef("SG-Admin")})
		assert.Error(t, err, "an Entra group exists only when seeded")
		return nil
	})
	require.NoError(t, err)
}

func TestSeededGroups(t *testing.T) {
	rec := &pulumimock.Recorder{IdentityStoreGroups: []string{"SG-Admin"}, EntraGroups: []string{"SG-Admin"}}
	_, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error {
		g, err := lookupGroup(ctx, "SG-Admin")
		require.NoError(t, err)
		assert.Equal(t, "group-SG-Admin", g.GroupId)
		e, err := azuread.LookupGroup(ctx, &azuread.LookupGroupArgs{DisplayName: pulumi.StringRef("SG-Admin")})
		require.NoError(t, err)
		assert.Equal(t, "entra-group-SG-Admin", e.ObjectId)
		return nil
	})
	require.NoError(t, err)
}

func TestGalleryAppRolesHaveNoValue(t *testing.T) {
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		sp, err := azuread.LookupServicePrincipal(ctx, &azuread.LookupServicePrincipalArgs{ObjectId: pulumi.StringRef("sp")})
		require.NoError(t, err)
		assert.Empty(t, sp.AppRoleIds, "appRoleIds is keyed by value, and the gallery roles have none")
		var names []string
		for _, r := range sp.AppRoles {
			names = append(names, r.DisplayName)
			assert.Empty(t, r.Value)
		}
		assert.Equal(t, []string{"User", "msiam_access"}, names)
		return nil
	})
	require.NoError(t, err)
}

func TestOUAccountsAreAccounts(t *testing.T) {
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		res, err := organizations.GetOrganizationalUnitDescendantAccounts(ctx, &organizations.GetOrganizationalUnitDescendantAccountsArgs{ParentId: "ou-a1b2-workloads1"})
		require.NoError(t, err)
		require.Len(t, res.Accounts, 1)
		assert.Regexp(t, `^\d{12}$`, res.Accounts[0].Id)
		assert.Equal(t, pulumimock.AccountOf("ou-a1b2-workloads1"), res.Accounts[0].Id)
		assert.Equal(t, "ACTIVE", res.Accounts[0].Status)
		return nil
	})
	require.NoError(t, err)
}
