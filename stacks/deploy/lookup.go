package deploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/identitystore"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/organizations"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
)

// GroupIDs are the identity store groups found, by display name, and the
// names not found.
type GroupIDs struct {
	ByName  map[string]string
	Missing []string
}

// LookupGroups lists the identity store's groups once and picks the named
// ones. A group SCIM has not provisioned yet is reported missing, not an
// error: on a fresh organization none exists until the Entra application's
// provisioning has run, and the program must still deploy everything else.
// (identitystore.LookupGroup fails for a group that does not exist.)
func LookupGroups(ctx *pulumi.Context, identityStoreID string, names []string, opts ...pulumi.InvokeOption) (GroupIDs, error) {
	res, err := identitystore.GetGroups(ctx, &identitystore.GetGroupsArgs{IdentityStoreId: identityStoreID}, opts...)
	if err != nil {
		return GroupIDs{}, fmt.Errorf("listing the groups of identity store %s: %w", identityStoreID, err)
	}
	have := map[string]string{}
	for _, g := range res.Groups {
		have[g.DisplayName] = g.GroupId
	}
	out := GroupIDs{ByName: map[string]string{}}
	for _, n := range names {
		if id, ok := have[n]; ok {
			out.ByName[n] = id
		} else if !slices.Contains(out.Missing, n) {
			out.Missing = append(out.Missing, n)
		}
	}
	return out, nil
}

// ouAccounts is the lookup's answer, read with the account's state as well
// as its status: Organizations is retiring Status in favour of State, and
// the pulumi-aws v6 SDK type has Status only.
type ouAccounts struct {
	Accounts []ouAccount `pulumi:"accounts"`
}

type ouAccount struct {
	ID     string `pulumi:"id"`
	Status string `pulumi:"status,optional"`
	State  string `pulumi:"state,optional"`
}

// TokenOUDescendantAccounts is the lookup that lists an OU's accounts.
const TokenOUDescendantAccounts = "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts"

// ExpandAccounts turns account ids and OU ids into the sorted, distinct
// active account ids they stand for. An account is active when its State
// is ACTIVE, or, where State is absent, its Status. An account reporting
// neither is an error rather than "inactive": treating it as inactive would
// delete every assignment in it.
func ExpandAccounts(ctx *pulumi.Context, targets []string, opts ...pulumi.InvokeOption) ([]string, error) {
	var out []string
	for _, t := range targets {
		if !strings.HasPrefix(t, "ou-") {
			out = append(out, t)
			continue
		}
		var res ouAccounts
		if err := ctx.Invoke(TokenOUDescendantAccounts, &organizations.GetOrganizationalUnitDescendantAccountsArgs{ParentId: t}, &res, opts...); err != nil {
			return nil, fmt.Errorf("listing the accounts of %s: %w", t, err)
		}
		for _, a := range res.Accounts {
			if a.State == "" && a.Status == "" {
				return nil, fmt.Errorf("listing the accounts of %s: account %s reports neither state nor status", t, a.ID)
			}
			if awsorg.ActiveState(a.State, a.Status) {
				out = append(out, a.ID)
			}
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out))), nil
}
