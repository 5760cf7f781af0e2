package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// AccountsAPI is the part of Organizations discovery needs.
type AccountsAPI interface {
	organizations.ListAccountsAPIClient
	organizations.ListAccountsForParentAPIClient
	organizations.ListOrganizationalUnitsForParentAPIClient
}

// DiscoverAccounts returns the ACTIVE accounts under targets (a root id
// means every account), sorted.
func DiscoverAccounts(ctx context.Context, api AccountsAPI, targets []string) ([]string, error) {
	set := map[string]bool{}
	active := func(a orgtypes.Account) {
		// Status is deprecated in favour of State; accept either saying active.
		if a.State == orgtypes.AccountStateActive || (a.State == "" && a.Status == orgtypes.AccountStatusActive) {
			set[aws.ToString(a.Id)] = true
		}
	}
	for _, t := range targets {
		if strings.HasPrefix(t, "r-") {
			p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("listing the organization's accounts: %w", err)
				}
				for _, a := range page.Accounts {
					active(a)
				}
			}
			continue
		}
		if err := walkOU(ctx, api, t, active); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

func walkOU(ctx context.Context, api AccountsAPI, ou string, visit func(orgtypes.Account)) error {
	ap := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the accounts of %s: %w", ou, err)
		}
		for _, a := range page.Accounts {
			visit(a)
		}
	}
	op := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(ou)})
	for op.HasMorePages() {
		page, err := op.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the OUs under %s: %w", ou, err)
		}
		for _, child := range page.OrganizationalUnits {
			if err := walkOU(ctx, api, aws.ToString(child.Id), visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// RegionLister returns the regions to audit in one account.
type RegionLister interface {
	Regions(ctx context.Context, account string) ([]string, error)
}

// ConfiguredRegions audits the configured regions everywhere.
type ConfiguredRegions []string

// Regions returns the configured regions.
func (c ConfiguredRegions) Regions(context.Context, string) ([]string, error) { return c, nil }

// ListRegionsAPI is account:ListRegions.
type ListRegionsAPI interface {
	ListRegions(ctx context.Context, in *account.ListRegionsInput, optFns ...func(*account.Options)) (*account.ListRegionsOutput, error)
}

// EnabledRegions audits every region an account has enabled, read with
// account:ListRegions from the management account.
type EnabledRegions struct {
	API ListRegionsAPI
	// Management is the management account, which is asked about itself
	// without an AccountId.
	Management string
}

// Regions lists account's enabled and enabled-by-default regions.
func (e EnabledRegions) Regions(ctx context.Context, acct string) ([]string, error) {
	in := &account.ListRegionsInput{RegionOptStatusContains: []accounttypes.RegionOptStatus{
		accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault,
	}}
	if acct != e.Management {
		in.AccountId = aws.String(acct)
	}
	var out []string
	p := account.NewListRegionsPaginator(e.API, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the regions of %s: %w", acct, err)
		}
		for _, r := range page.Regions {
			out = append(out, aws.ToString(r.RegionName))
		}
	}
	sort.Strings(out)
	return out, nil
}
