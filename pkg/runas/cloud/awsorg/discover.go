package awsorg

import (
	"context"
	"fmt"
	"maps"
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
	//lint:ignore SA1019 the fallback for answers without State
	return ActiveState(string(a.State), string(a.Status))
}

// ActiveState is Active on the two fields as text, for readers of other
// shapes of the same answer (the Pulumi provider's account lookups).
func ActiveState(state, status string) bool {
	if state != "" {
		return state == string(orgtypes.AccountStateActive)
	}
	return status == string(orgtypes.AccountStatusActive)
}

// DiscoverAccounts returns the ACTIVE accounts under targets (a root id
// means every account), sorted.
func DiscoverAccounts(ctx context.Context, api AccountsAPI, targets []string) ([]string, error) {
	found, err := discover(ctx, api, targets)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(found.parent)), nil
}

// placement is where discovery found each account.
type placement struct {
	parent map[string]string // account -> the OU (or root) it sits in
	names  map[string]string // OU or root id -> name
}

func discover(ctx context.Context, api AccountsAPI, targets []string) (placement, error) {
	pl := placement{parent: map[string]string{}, names: map[string]string{}}
	for _, t := range targets {
		if strings.HasPrefix(t, "r-") {
			pl.names[t] = "Root"
			p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return placement{}, fmt.Errorf("listing the organization's accounts: %w", err)
				}
				for _, a := range page.Accounts {
					if _, seen := pl.parent[aws.ToString(a.Id)]; Active(a) && !seen {
						pl.parent[aws.ToString(a.Id)] = t
					}
				}
			}
			continue
		}
		if _, ok := pl.names[t]; !ok {
			pl.names[t] = t
		}
		if err := walkOU(ctx, api, t, &pl); err != nil {
			return placement{}, err
		}
	}
	return pl, nil
}

func walkOU(ctx context.Context, api AccountsAPI, ou string, pl *placement) error {
	ap := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the accounts of %s: %w", ou, err)
		}
		for _, a := range page.Accounts {
			if Active(a) {
				pl.parent[aws.ToString(a.Id)] = ou
			}
		}
	}
	op := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(ou)})
	for op.HasMorePages() {
		page, err := op.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the OUs under %s: %w", ou, err)
		}
		for _, child := range page.OrganizationalUnits {
			id := aws.ToString(child.Id)
			pl.names[id] = aws.ToString(child.Name)
			if err := walkOU(ctx, api, id, pl); err != nil {
				return err
			}
		}
	}
	return nil
}

// Account is an account in scope and where it sits.
type Account struct {
	ID string `json:"id"`
	// Parent is the OU (or root) the account sits in, ParentName its name
	// (the id for a target OU, whose name discovery does not read).
	// Both are empty for a management account outside the targets.
	Parent     string `json:"parent,omitempty"`
	ParentName string `json:"parentName,omitempty"`
}

// Scope returns the accounts an audit or remediation covers, sorted: the
// ACTIVE accounts under the configured targets, and the management
// account when it is configured directly (the StackSet never deploys
// there). With managementAccount.configure false the management account
// is out of scope even under a root target: nothing the stack deploys
// reaches it, so its findings would be ones no pulumi up or remediate of
// this configuration repairs.
func Scope(ctx context.Context, c *settings.Config, api AccountsAPI) ([]Account, error) {
	pl, err := discover(ctx, api, c.Organization.Targets)
	if err != nil {
		return nil, err
	}
	m := c.Organization.ManagementAccountID
	if c.ConfigureManagementAccount() {
		if _, ok := pl.parent[m]; !ok {
			pl.parent[m] = ""
		}
	} else {
		delete(pl.parent, m)
	}
	var out []Account
	for _, id := range slices.Sorted(maps.Keys(pl.parent)) {
		out = append(out, Account{ID: id, Parent: pl.parent[id], ParentName: pl.names[pl.parent[id]]})
	}
	return out, nil
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

// Plan is the work of a run: the account-regions in scope, the accounts
// whose regions could not be listed (reported, not dropped), and every
// account in scope with where it sits.
type Plan struct {
	Jobs     []Job
	Failed   map[string]error
	Accounts []Account
}

// Targets plans a run: the accounts Scope finds, each with the regions
// regions lists. Its error is only for accounts that cannot be listed at
// all.
func Targets(ctx context.Context, c *settings.Config, api AccountsAPI, regions RegionLister) (Plan, error) {
	accounts, err := Scope(ctx, c, api)
	if err != nil {
		return Plan{}, err
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	jobs, failed := Jobs(ctx, ids, regions)
	return Plan{Jobs: jobs, Failed: failed, Accounts: accounts}, nil
}
