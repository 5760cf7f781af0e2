package awsorg_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func baseConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAMOTOTESTING00000", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// retries records what the factory reports about retries.
type retries struct {
	mu  sync.Mutex
	all []awsorg.Retry
}

func (r *retries) add(x awsorg.Retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, x)
}

func TestUnreachableEndpointFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	var seen retries
	f := awsorg.NewFactory(baseConfig(endpoint), "123456789012", awsorg.FactoryOptions{OnRetry: seen.add})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = awsorg.DiscoverAccounts(ctx, f.Organizations(), []string{"r-abcd"})
	require.Error(t, err)
	assert.NoError(t, ctx.Err(), "the call must give up on its own, not at the deadline")
	assert.True(t, awsorg.Unreachable(err), "classified as unreachable: %v", err)
	assert.True(t, awsorg.Fatal(err))
	assert.Contains(t, err.Error(), "connection refused")
	assert.Len(t, seen.all, awsorg.ConnectAttempts-1, "retried a bounded number of times, each reported")
	for _, r := range seen.all {
		assert.Equal(t, "organizations", r.Service)
		assert.LessOrEqual(t, r.Delay, awsorg.ConnectBackoff)
	}
}

func TestUnresolvableNameIsNotRetried(t *testing.T) {
	var seen retries
	f := awsorg.NewFactory(baseConfig("http://ssm-runas-test.invalid"), "123456789012", awsorg.FactoryOptions{OnRetry: seen.add})
	_, err := awsorg.DiscoverAccounts(context.Background(), f.Organizations(), []string{"r-abcd"})
	require.Error(t, err)
	assert.True(t, awsorg.Unreachable(err), "%v", err)
	assert.Empty(t, seen.all, "a name that does not resolve is not retried")
}

// TestAccessDeniedIsNotRetried answers every call as Organizations answers
// a caller without permission.
func TestAccessDeniedIsNotRetried(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"AccessDeniedException","Message":"You don't have permissions to access this resource."}`)
	}))
	defer srv.Close()
	var seen retries
	f := awsorg.NewFactory(baseConfig(srv.URL), "123456789012", awsorg.FactoryOptions{OnRetry: seen.add})
	_, err := awsorg.DiscoverAccounts(context.Background(), f.Organizations(), []string{"r-abcd"})
	require.Error(t, err)
	assert.True(t, awsorg.Denied(err), "%v", err)
	assert.Equal(t, 1, calls, "access denied is asked once")
	assert.Empty(t, seen.all)
}

func TestActivePrefersState(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    orgtypes.Account
		want bool
	}{
		{"state active", orgtypes.Account{State: orgtypes.AccountStateActive}, true},
		{"state suspended, status still active", orgtypes.Account{State: orgtypes.AccountStateSuspended, Status: orgtypes.AccountStatusActive}, false},
		{"state pending closure", orgtypes.Account{State: orgtypes.AccountStatePendingClosure}, false},
		{"status only, active", orgtypes.Account{Status: orgtypes.AccountStatusActive}, true},
		{"status only, suspended", orgtypes.Account{Status: orgtypes.AccountStatusSuspended}, false},
		{"neither", orgtypes.Account{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, awsorg.Active(tc.a)) })
	}
}

// TestScopeAgainstMoto builds OUs with accounts in moto and checks what
// discovery finds: the accounts under the target OUs and their children,
// not the ones elsewhere, and the management account only when configured.
func TestScopeAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	f := awsorg.NewFactory(srv.Config("eu-west-1"), "123456789012", awsorg.FactoryOptions{})
	orgs := f.Organizations()
	org, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	require.NoError(t, err)
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	require.NoError(t, err)
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(parent, name string) string {
		out, err := orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		require.NoError(t, err)
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	acct := func(parent, name string) string {
		out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@corp.example")})
		require.NoError(t, err)
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if parent != root {
			_, err = orgs.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(root), DestinationParentId: aws.String(parent)})
			require.NoError(t, err)
		}
		return id
	}
	workloads := ou(root, "workloads")
	nested := ou(workloads, "prod")
	sandbox := ou(root, "sandbox")
	a1, a2 := acct(workloads, "a1"), acct(nested, "a2")
	acct(sandbox, "s1")
	acct(root, "loose")

	got, err := awsorg.DiscoverAccounts(ctx, orgs, []string{workloads})
	require.NoError(t, err)
	want := []string{a1, a2}
	sort.Strings(want)
	assert.Equal(t, want, got, "the OU and the OUs under it")

	all, err := awsorg.DiscoverAccounts(ctx, orgs, []string{root})
	require.NoError(t, err)
	assert.Len(t, all, 5, "a root target means every account, the management account included")

	management := aws.ToString(org.Organization.MasterAccountId)
	c := &settings.Config{Organization: settings.Organization{Targets: []string{workloads}, ManagementAccountID: management, Regions: []string{"eu-west-1", "us-east-1"}}}
	plan, err := awsorg.Targets(ctx, c, orgs, awsorg.ConfiguredRegions(c.Organization.Regions))
	require.NoError(t, err)
	assert.Empty(t, plan.Failed)
	jobs := plan.Jobs
	parents := map[string]awsorg.Account{}
	for _, a := range plan.Accounts {
		parents[a.ID] = a
	}
	assert.Equal(t, awsorg.Account{ID: a1, Parent: workloads, ParentName: workloads}, parents[a1])
	assert.Equal(t, awsorg.Account{ID: a2, Parent: nested, ParentName: "prod"}, parents[a2], "a nested OU is named")
	var accounts []string
	for _, j := range jobs {
		accounts = append(accounts, j.Account)
	}
	require.True(t, c.ConfigureManagementAccount(), "configured directly unless the configuration says otherwise")
	assert.Contains(t, accounts, management, "the management account is in scope when configured directly")
	assert.Len(t, jobs, 6, "three accounts, two regions each")
	assert.Equal(t, awsorg.Account{ID: management}, parents[management], "outside the targets: no OU")

	off := false
	c.Organization.ManagementAccount.Configure = &off
	plan, err = awsorg.Targets(ctx, c, orgs, awsorg.ConfiguredRegions(c.Organization.Regions))
	require.NoError(t, err)
	assert.Len(t, plan.Jobs, 4, "without the management account")
	for _, j := range plan.Jobs {
		assert.NotEqual(t, management, j.Account)
	}

	// Under a root target the management account is discovered with the
	// rest; not configured directly, it stays out of scope all the same.
	c.Organization.Targets = []string{root}
	scope, err := awsorg.Scope(ctx, c, orgs)
	require.NoError(t, err)
	var ids []string
	for _, a := range scope {
		ids = append(ids, a.ID)
	}
	assert.Len(t, ids, 4, "every account but the management account")
	assert.NotContains(t, ids, management)
	on := true
	c.Organization.ManagementAccount.Configure = &on
	scope, err = awsorg.Scope(ctx, c, orgs)
	require.NoError(t, err)
	require.Len(t, scope, 5)
	assert.Contains(t, scope, awsorg.Account{ID: management, Parent: root, ParentName: "Root"}, "configured directly, and in the root")
}

// listRegionsStub stands in for account:ListRegions, which moto does not
// implement; it is this package's own interface.
type listRegionsStub struct {
	byAccount map[string][]string
}

func (s *listRegionsStub) ListRegions(_ context.Context, in *account.ListRegionsInput, _ ...func(*account.Options)) (*account.ListRegionsOutput, error) {
	if len(in.RegionOptStatusContains) != 2 {
		return nil, fmt.Errorf("want enabled and enabled-by-default regions, asked for %v", in.RegionOptStatusContains)
	}
	acct := aws.ToString(in.AccountId)
	rs, ok := s.byAccount[acct]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized for account " + acct}
	}
	out := &account.ListRegionsOutput{}
	for _, r := range rs {
		out.Regions = append(out.Regions, accounttypes.Region{RegionName: aws.String(r), RegionOptStatus: accounttypes.RegionOptStatusEnabled})
	}
	return out, nil
}

func TestEnabledRegions(t *testing.T) {
	stub := &listRegionsStub{byAccount: map[string][]string{
		"":             {"us-east-1", "eu-west-1"}, // the management account asks about itself
		"222222222222": {"eu-west-1", "ap-southeast-2"},
	}}
	e := awsorg.EnabledRegions{API: stub, Management: "111111111111"}
	ctx := context.Background()
	got, err := e.Regions(ctx, "222222222222")
	require.NoError(t, err)
	assert.Equal(t, []string{"ap-southeast-2", "eu-west-1"}, got)
	got, err = e.Regions(ctx, "111111111111")
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1", "us-east-1"}, got)
	_, err = e.Regions(ctx, "333333333333")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listing the regions of 333333333333")
	assert.True(t, awsorg.Denied(err))
}
