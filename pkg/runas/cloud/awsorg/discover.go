package awsorg

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// AccountsAPI is the part of Organizations discovery needs.
type AccountsAPI interface {
	organizations.ListAccountsAPIClient
	organizations.ListAccountsForParentAPIClient
	organizations.ListOrganizationalUnitsForParentAPIClient
}

// Active reports whether an account is ACTIVE. Organizations is retiring
// the Status field in favour of State; State decides when it is present,
// Status only when it is not.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html
func Active(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	//lint:ignore SA1019 the fallback for answers without State
	return a.Status == orgtypes.AccountStatusActive
}

// DiscoverAccounts returns the ACTIVE accounts under targets (a root id
// means every account), sorted.
func DiscoverAccounts(ctx context.Context, api AccountsAPI, targets []string) ([]string, error) {
	set := map[string]bool{}
	active := func(a orgtypes.Account) {
		if Active(a) {
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

// Scope returns the accounts an audit or remediation covers: the ACTIVE
// accounts under the configured targets, and the management account when
// it is configured directly (the StackSet never deploys there).
func Scope(ctx context.Context, c *settings.Config, api AccountsAPI) ([]string, error) {
	accounts, err := DiscoverAccounts(ctx, api, c.Organization.Targets)
	if err != nil {
		return nil, err
	}
	if m := c.Organization.ManagementAccountID; c.ConfigureManagementAccount() && !slices.Contains(accounts, m) {
		accounts = append([]string{m}, accounts...)
	}
	return accounts, nil
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

// Targets lists the account-regions in scope: the accounts Scope finds,
// each with the regions regions lists. Accounts whose regions cannot be
// listed come back in failed, by account, so they are reported rather
// than dropped. The error is only for accounts that cannot be listed at
// all.
func Targets(ctx context.Context, c *settings.Config, api AccountsAPI, regions RegionLister) (jobs []Job, failed map[string]error, err error) {
	accounts, err := Scope(ctx, c, api)
	if err != nil {
		return nil, nil, err
	}
	jobs, failed = Jobs(ctx, accounts, regions)
	return jobs, failed, nil
}
