package audit_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/aws/smithy-go"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/faultproxy"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/remediate"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

var regions = []string{"eu-west-1", "us-east-1"}

const identityStore = "d-1234567890"

// abacStub stands in for DescribeInstanceAccessControlAttributeConfiguration,
// which moto does not implement; it is the audit's own interface.
type abacStub struct{ source string }

func (s abacStub) DescribeInstanceAccessControlAttributeConfiguration(context.Context, *ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeInstanceAccessControlAttributeConfigurationOutput, error) {
	return &ssoadmin.DescribeInstanceAccessControlAttributeConfigurationOutput{
		InstanceAccessControlAttributeConfiguration: &ssotypes.InstanceAccessControlAttributeConfiguration{
			AccessControlAttributes: []ssotypes.AccessControlAttribute{{Key: aws.String("SSMSessionRunAs"), Value: &ssotypes.AccessControlAttributeValue{Source: []string{s.source}}}},
		},
	}, nil
}

func testConfig(t testing.TB, org orgseed.Org) *settings.Config {
	t.Helper()
	yaml := fmt.Sprintf(`
model: per-role
organization:
  id: %s
  managementAccountId: "%s"
  targets: [%s]
  regions: [%s]
  homeRegion: eu-west-1
sessionPreferences:
  runAsDefaultUser: ssm-fallback
  s3: {bucketName: corp-session-logs}
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef
  region: eu-west-1
  identityStoreId: %s
  runAsSource: ${path:title}
roles:
  - {name: admin, entraGroup: SG-Admin, linuxUser: admin, precedence: 1, permissionSet: {name: SSM-Admin}, assignments: [%s]}
  - {name: developer, entraGroup: SG-Dev, linuxUser: developer, precedence: 3, permissionSet: {name: SSM-Dev}, assignments: ["%s"]}
  - {name: support, entraGroup: SG-Support, linuxUser: support, precedence: 4, permissionSet: {name: SSM-Support}, assignments: ["%s"]}
`, org.ID, org.ManagementAccount, strings.Join(org.OUs, ", "), strings.Join(regions, ", "), identityStore,
		org.OUs[0], org.Accounts[1], org.Accounts[5])
	c, err := settings.Parse([]byte(yaml))
	require.NoError(t, err, "test config")
	return c
}

type world struct {
	srv     *motoserver.Server
	factory *awsorg.Factory
	org     orgseed.Org
	cfg     *settings.Config
	outside string // an account outside the configured OUs
}

// build seeds moto with an organization whose account-regions cover every
// state, an SCP attached to one of two OUs, a StackSet with instances in
// one of two regions, and identity store users in every situation.
func build(t *testing.T, endpoint string, srv *motoserver.Server, fo awsorg.FactoryOptions) *world {
	t.Helper()
	ctx := motoserver.Context(t)
	base := srv.Config("eu-west-1")
	base.BaseEndpoint = aws.String(endpoint)
	f := awsorg.NewFactory(base, "123456789012", fo)
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback", S3: &sessiondoc.S3Logging{BucketName: "corp-session-logs"}}
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{
		Accounts: 6, OUs: 2, Regions: regions, Prefs: prefs,
		StateOf: func(i int, region string) orgseed.State {
			k := i * len(regions)
			if region == regions[1] {
				k++
			}
			return orgseed.AllStates[k%len(orgseed.AllStates)]
		},
	})
	require.NoError(t, err)
	w := &world{srv: srv, factory: f, org: org, cfg: testConfig(t, org)}
	for _, r := range regions {
		require.NoError(t, orgseed.SetState(ctx, f.SSM(org.ManagementAccount, r), prefs, orgseed.Compliant))
	}

	// An account in the root, outside the configured OUs, with no document.
	orgs := f.Organizations()
	acct, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("outside"), Email: aws.String("outside@corp.example")})
	require.NoError(t, err)
	w.outside = aws.ToString(acct.CreateAccountStatus.AccountId)

	// The SCP, attached to the first OU only.
	scp, err := policy.GuardrailSCP(w.cfg.GuardrailSCPArgs())
	require.NoError(t, err)
	p, err := orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(w.cfg.Guardrail.PolicyName), Description: aws.String("test"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(string(scp.JSON()))})
	require.NoError(t, err)
	_, err = orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: p.Policy.PolicySummary.Id, TargetId: aws.String(org.OUs[0])})
	require.NoError(t, err)

	// The StackSet, with instances in the first region only.
	cf := f.CloudFormation(regions[0])
	_, err = cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{StackSetName: aws.String(w.cfg.Organization.StackSet.Name),
		TemplateBody: aws.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":"ssm-runas-test"}}}}`)})
	require.NoError(t, err)
	_, err = cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{StackSetName: aws.String(w.cfg.Organization.StackSet.Name),
		Accounts: org.Accounts[:2], Regions: regions[:1]})
	require.NoError(t, err)

	// Identity store users: right, stale by precedence, stale after losing
	// every role, missing, unknown, invalid.
	ids := f.IdentityStore("eu-west-1")
	group := map[string]string{}
	for _, g := range []string{"SG-Admin", "SG-Dev", "SG-Support"} {
		out, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: aws.String(identityStore), DisplayName: aws.String(g)})
		require.NoError(t, err)
		group[g] = aws.ToString(out.GroupId)
	}

	// Permission sets and account assignments as a deployment left them,
	// then the organization moved on: account 4 joined the admin OU after
	// the last deploy (missing), and account 3 was dropped from the
	// developer role's assignments (unwanted).
	admin := f.SSOAdmin("eu-west-1")
	instance := aws.String(w.cfg.IdentityCenter.InstanceARN)
	for _, a := range []struct {
		group, permissionSet string
		accounts             []int
	}{
		{"SG-Admin", "SSM-Admin", []int{0, 2}},
		{"SG-Dev", "SSM-Dev", []int{1, 3}},
		{"SG-Support", "SSM-Support", []int{5}},
	} {
		// SessionDuration is given: moto answers its default as a number,
		// which the SDK refuses.
		ps, err := admin.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: instance, Name: aws.String(a.permissionSet), SessionDuration: aws.String("PT1H")})
		require.NoError(t, err)
		for _, i := range a.accounts {
			_, err := admin.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: instance,
				PermissionSetArn: ps.PermissionSet.PermissionSetArn, PrincipalId: aws.String(group[a.group]), PrincipalType: ssotypes.PrincipalTypeGroup,
				TargetId: aws.String(org.Accounts[i]), TargetType: ssotypes.TargetTypeAwsAccount})
			require.NoError(t, err)
		}
	}
	for _, u := range []struct {
		name, title string
		groups      []string
	}{
		{"alice", "developer", []string{"SG-Dev"}},
		{"bob", "developer", []string{"SG-Dev", "SG-Admin"}},
		{"carol", "admin", nil},
		{"dave", "", []string{"SG-Dev"}},
		{"erin", "dba", nil},
		{"frank", "Support Desk", []string{"SG-Support"}},
		{"grace", "", nil},
	} {
		in := &identitystore.CreateUserInput{IdentityStoreId: aws.String(identityStore), UserName: aws.String(u.name),
			DisplayName: aws.String(u.name), Name: &idstypes.Name{GivenName: aws.String(u.name), FamilyName: aws.String("Example")}}
		if u.title != "" {
			in.Title = aws.String(u.title)
		}
		out, err := ids.CreateUser(ctx, in)
		require.NoError(t, err)
		for _, g := range u.groups {
			_, err := ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: aws.String(identityStore),
				GroupId: aws.String(group[g]), MemberId: &idstypes.MemberIdMemberUserId{Value: aws.ToString(out.UserId)}})
			require.NoError(t, err)
		}
	}
	return w
}

func (w *world) sources() audit.Sources {
	s := audit.FromFactory(w.factory, w.cfg, audit.RegionsConfigured)
	s.ABAC = abacStub{source: "${path:title}"}
	return s
}

func checks(fs []audit.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Check)
	}
	return out
}

func findings(fs []audit.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Check+" "+f.Subject+": want "+f.Want+" got "+f.Got)
	}
	return out
}

// verifyReport checks the report holds exactly the findings the seeded
// states imply, for every target, and no other target. Targets of the
// accounts in except, and targets the run never checked when
// allowUnchecked, are only checked to be in scope.
func verifyReport(t *testing.T, w *world, rep audit.Report, allowUnchecked bool, except ...string) {
	t.Helper()
	want := map[string]orgseed.State{}
	for k, s := range w.org.States {
		want[k] = s
	}
	for _, r := range regions {
		want[w.org.ManagementAccount+"/"+r] = orgseed.Compliant
	}
	assert.Len(t, rep.Targets, len(want), "one target per account-region in scope")
	for _, tg := range rep.Targets {
		key := tg.Account + "/" + tg.Region
		s, ok := want[key]
		if !assert.True(t, ok, "unexpected target %s (outside the scope?)", key) {
			continue
		}
		if slices.Contains(except, tg.Account) || (allowUnchecked && tg.Status == audit.StatusUnchecked) {
			continue
		}
		assert.ElementsMatch(t, orgseed.ExpectedChecks[s], checks(tg.Findings), "%s (%s): status %s, error %s", key, s, tg.Status, tg.Error)
	}
	if allowUnchecked && rep.Organization.Status == audit.StatusError {
		return
	}
	assert.Equal(t, audit.StatusDrift, rep.Organization.Status, rep.Organization.Error)
	assert.Equal(t, []string{
		"scp-attachment " + w.org.OUs[1] + ": want attached got not attached",
		"stackset-region " + regions[1] + ": want stack instances got none",
	}, findings(rep.Organization.Findings))
	if allowUnchecked && rep.IdentityCenter.Status == audit.StatusError {
		return
	}
	assert.Equal(t, []string{
		"value-stale bob: want admin got developer",
		"value-stale carol: want no value (in no role group) got admin",
		"value-missing dave: want developer got (none)",
		"value-unknown erin: want a role account or no value got dba",
		"value-invalid frank: want support got Support Desk",
		"assignment-missing admin/" + w.org.Accounts[4] + ": want SG-Admin assigned SSM-Admin (pulumi up assigns accounts added since the last deploy) got no assignment",
		"assignment-unwanted developer/" + w.org.Accounts[3] + ": want no assignment (not in roles[].assignments; pulumi up removes the ones it made) got SG-Dev assigned SSM-Dev",
	}, findings(rep.IdentityCenter.Findings), rep.IdentityCenter.Error)
}

// TestAgainstMoto runs the audit's integration tests on one moto_server,
// reset before each, to keep the package's run short.
func TestAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *motoserver.Server)
	}{
		{"audit and remediate", testAuditAndRemediate},
		{"under faults", testAuditUnderFaults},
		{"stops when every account fails", testAuditStopsWhenEveryAccountFails},
		{"interrupted", testAuditInterrupted},
		{"identity center unreadable is counted", testIdentityCenterUnreadableIsCounted},
		{"regions enabled: uncovered regions", testRegionsEnabledUncovered},
		{"HTML report in Chromium", testHTMLReport},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, srv) })
	}
}

func testAuditAndRemediate(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	w := build(t, srv.URL, srv, awsorg.FactoryOptions{})
	ctx := motoserver.Context(t)

	rep, err := audit.Run(ctx, w.cfg, w.sources(), audit.Options{Concurrency: 8})
	require.NoError(t, err)
	verifyReport(t, w, rep, false)
	assert.Equal(t, audit.ExitFindings, rep.ExitCode())
	assert.Empty(t, rep.Stopped)

	dry, err := remediate.Run(ctx, w.cfg, w.sources(), remediate.Options{Stack: "prod"})
	require.NoError(t, err)
	// What the stack owns is listed with its repair command, not written.
	var elsewhere []string
	for _, e := range dry.Elsewhere {
		elsewhere = append(elsewhere, e.Check+" "+e.Subject)
		assert.Equal(t, "pulumi up --refresh --stack prod", e.Command)
	}
	assert.ElementsMatch(t, []string{
		"scp-attachment " + w.org.OUs[1], "stackset-region " + regions[1],
		"assignment-missing admin/" + w.org.Accounts[4], "assignment-unwanted developer/" + w.org.Accounts[3],
	}, elsewhere)
	assert.Empty(t, dry.Unread)
	var diff strings.Builder
	dry.WriteDiff(&diff)
	assert.Contains(t, diff.String(), "owned by the Pulumi stack, not repaired here:")
	assert.Contains(t, diff.String(), "repair with: pulumi up --refresh --stack prod")
	bad := rep.Summary.Drift + rep.Summary.Missing
	assert.Equal(t, bad, dry.Writes, "dry run: one write per target in drift or missing")
	assert.Zero(t, dry.Errors)
	again, err := audit.Run(ctx, w.cfg, w.sources(), audit.Options{})
	require.NoError(t, err)
	require.Equal(t, rep.Summary.Compliant, again.Summary.Compliant, "a dry run wrote")

	applied, err := remediate.Run(ctx, w.cfg, w.sources(), remediate.Options{Apply: true})
	require.NoError(t, err)
	assert.Len(t, applied.Elsewhere, len(dry.Elsewhere), "remediate leaves what the stack owns to the stack")
	assert.Equal(t, bad, applied.Writes)
	assert.Zero(t, applied.Errors)
	after, err := audit.Run(ctx, w.cfg, w.sources(), audit.Options{})
	require.NoError(t, err)
	for _, tg := range after.Targets {
		assert.Equal(t, audit.StatusCompliant, tg.Status, "%s/%s after remediation: %v", tg.Account, tg.Region, findings(tg.Findings))
	}
	assert.Zero(t, after.Summary.NotChecked)
	second, err := remediate.Run(ctx, w.cfg, w.sources(), remediate.Options{Apply: true})
	require.NoError(t, err)
	assert.Zero(t, second.Writes, "a second remediation must write nothing")
	assert.Equal(t, after.Summary.Targets, second.Unchanged)
	// The account outside the scope was never touched.
	for _, r := range regions {
		st, err := ssmprefs.Read(ctx, w.factory.SSM(w.outside, r), sessiondoc.DocumentName)
		require.NoError(t, err)
		assert.False(t, st.Exists, "account %s outside the scope has a document in %s", w.outside, r)
	}
}

// testAuditUnderFaults puts a proxy between the audit and moto that
// answers every fifth call with a throttling error or a 500, and every call
// made for one account with a 500.
func testAuditUnderFaults(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	fo := awsorg.FactoryOptions{MaxAttempts: 10, MaxBackoff: 200 * time.Millisecond}
	w := build(t, srv.URL, srv, fo)
	ctx := motoserver.Context(t)
	proxy := faultproxy.New(t, srv.URL)

	through := func() (audit.Sources, *awsorg.Factory) {
		base := srv.Config("eu-west-1")
		base.BaseEndpoint = aws.String(proxy.URL)
		f := awsorg.NewFactory(base, "123456789012", fo)
		s := audit.FromFactory(f, w.cfg, audit.RegionsConfigured)
		s.ABAC = abacStub{source: "${path:title}"}
		return s, f
	}

	t.Run("a share of calls throttled or failing", func(t *testing.T) {
		proxy.Set(faultproxy.Faults{Every: 5})
		src, f := through()
		rep, err := audit.Run(ctx, w.cfg, src, audit.Options{Concurrency: 8})
		require.NoError(t, err)
		assert.NotZero(t, proxy.Injected(), "the proxy injected no fault")
		assert.NotZero(t, f.Throttles(), "throttling must reach the pool's back-off counter")
		// One role assumed per member account, however many regions.
		for _, a := range w.org.Accounts {
			assert.Equal(t, 1, proxy.AssumeRoles(a), "account %s: roles assumed", a)
		}
		verifyReport(t, w, rep, false)
		assert.Zero(t, rep.Summary.NotChecked, "retries must absorb the faults")
		assert.Equal(t, audit.ExitFindings, rep.ExitCode())
	})

	t.Run("every call of one account failing", func(t *testing.T) {
		victim := w.org.Accounts[0]
		proxy.Set(faultproxy.Faults{Victim: victim})
		src, _ := through()
		rep, err := audit.Run(ctx, w.cfg, src, audit.Options{Concurrency: 8})
		require.NoError(t, err)
		verifyReport(t, w, rep, false, victim)
		var got int
		for _, tg := range rep.Targets {
			if tg.Account == victim {
				got++
				assert.Equal(t, audit.StatusError, tg.Status, "%s/%s", tg.Account, tg.Region)
				assert.NotEmpty(t, tg.Error, "the reason must be given")
			}
		}
		assert.Equal(t, len(regions), got, "the failing account is listed in every region")
		assert.Equal(t, len(regions), rep.Summary.Errors)
		assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())
		assert.Empty(t, rep.Stopped, "one failing account must not stop the run")
	})
}

// testAuditStopsWhenEveryAccountFails sends every SSM call to a port with
// nothing listening: each target gives up after a few attempts, and once
// five accounts in a row have failed the run stops, leaving the rest
// unchecked rather than failing them one by one.
func testAuditStopsWhenEveryAccountFails(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	w := build(t, srv.URL, srv, awsorg.FactoryOptions{})
	ctx := motoserver.Context(t)
	dead := deadEndpoint(t)
	base := srv.Config("eu-west-1")
	base.BaseEndpoint = aws.String(dead)
	down := awsorg.NewFactory(base, "123456789012", awsorg.FactoryOptions{})
	src := w.sources()
	src.SSM = func(account, region string) ssmprefs.DocumentAPI { return down.SSM(account, region) }

	rep, err := audit.Run(ctx, w.cfg, src, audit.Options{Concurrency: 4})
	require.NoError(t, err)
	assert.Contains(t, rep.Stopped, "in a row failed")
	assert.Contains(t, rep.Stopped, "connection refused")
	assert.NotZero(t, rep.Summary.Errors)
	assert.NotZero(t, rep.Summary.Unchecked, "the breaker must stop the run before every target failed on its own")
	assert.Equal(t, rep.Summary.Targets, rep.Summary.Errors+rep.Summary.Unchecked)
	assert.Equal(t, rep.Summary.Targets, rep.Summary.NotChecked)
	assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())
	for _, tg := range rep.Targets {
		if tg.Status == audit.StatusUnchecked {
			assert.Contains(t, tg.Error, "not checked: stopped after")
		}
	}
}

// testAuditInterrupted cancels the run, as SIGINT does, after a few
// targets: the report holds what was checked, correctly, and the rest
// marked unchecked with the cause.
func testAuditInterrupted(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	w := build(t, srv.URL, srv, awsorg.FactoryOptions{})
	ctx, cancel := context.WithCancelCause(motoserver.Context(t))
	defer cancel(nil)
	rep, err := audit.Run(ctx, w.cfg, w.sources(), audit.Options{Concurrency: 1, Progress: func(p audit.Progress) {
		if p.TargetsDone == 3 {
			cancel(errors.New("interrupted by interrupt"))
		}
	}})
	require.NoError(t, err)
	verifyReport(t, w, rep, true)
	assert.Equal(t, "interrupted by interrupt", rep.Stopped)
	assert.Equal(t, 3, rep.Summary.Compliant+rep.Summary.Drift+rep.Summary.Missing, "the targets checked before the interruption are reported")
	assert.Equal(t, rep.Summary.Targets-3, rep.Summary.Unchecked)
	assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())
	var table strings.Builder
	rep.WriteTable(&table)
	assert.Contains(t, table.String(), "stopped early: interrupted by interrupt")
	assert.Regexp(t, `unchecked\s+-\s+-\s+not checked: interrupted by interrupt`, table.String())
}

// testIdentityCenterUnreadableIsCounted: when Identity Center cannot be
// read, the summary counts it among the parts not checked.
func testIdentityCenterUnreadableIsCounted(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	w := build(t, srv.URL, srv, awsorg.FactoryOptions{})
	src := w.sources()
	src.ABAC = abacDenied{}
	rep, err := audit.Run(motoserver.Context(t), w.cfg, src, audit.Options{})
	require.NoError(t, err)
	assert.Equal(t, audit.StatusError, rep.IdentityCenter.Status)
	assert.Contains(t, rep.IdentityCenter.Error, "AccessDeniedException")
	assert.Equal(t, 1, rep.Summary.NotChecked)
	assert.Zero(t, rep.Summary.Errors)
	assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())
	var table, md strings.Builder
	rep.WriteTable(&table)
	rep.WriteMarkdown(&md)
	assert.Contains(t, table.String(), "1 could not be checked (identity center)")
	assert.Contains(t, md.String(), "1 could not be checked (identity center)")
}

// abacDenied answers like Identity Center to a caller without
// sso:DescribeInstanceAccessControlAttributeConfiguration.
type abacDenied struct{}

func (abacDenied) DescribeInstanceAccessControlAttributeConfiguration(context.Context, *ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeInstanceAccessControlAttributeConfigurationOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User is not authorized to perform: sso:DescribeInstanceAccessControlAttributeConfiguration"}
}

// deadEndpoint is a loopback URL with nothing listening.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// listRegionsStub stands in for account:ListRegions, which moto does not
// implement; it is awsorg's own interface.
type listRegionsStub struct{ byAccount map[string][]string }

func (s listRegionsStub) ListRegions(_ context.Context, in *account.ListRegionsInput, _ ...func(*account.Options)) (*account.ListRegionsOutput, error) {
	rs, ok := s.byAccount[aws.ToString(in.AccountId)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized for account " + aws.ToString(in.AccountId)}
	}
	out := &account.ListRegionsOutput{}
	for _, r := range rs {
		out.Regions = append(out.Regions, accounttypes.Region{RegionName: aws.String(r), RegionOptStatus: accounttypes.RegionOptStatusEnabled})
	}
	return out, nil
}

// testRegionsEnabledUncovered: with --regions enabled, a region an account
// has enabled outside organization.regions and without the preferences
// document is a finding of its own (sessions there open as ssm-user); an
// account whose regions cannot be listed is reported, not dropped.
func testRegionsEnabledUncovered(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	w := build(t, srv.URL, srv, awsorg.FactoryOptions{})
	extra := "ap-southeast-2"
	byAccount := map[string][]string{"": append([]string{extra}, regions...)}
	for _, a := range w.org.Accounts[1:] {
		byAccount[a] = append([]string{extra}, regions...)
	}
	src := w.sources()
	src.Regions = awsorg.EnabledRegions{API: listRegionsStub{byAccount: byAccount}, Management: w.org.ManagementAccount}
	rep, err := audit.Run(motoserver.Context(t), w.cfg, src, audit.Options{})
	require.NoError(t, err)

	unlisted := w.org.Accounts[0]
	var uncovered []string
	for _, tg := range rep.Targets {
		switch {
		case tg.Account == unlisted:
			assert.Equal(t, "*", tg.Region)
			assert.Equal(t, audit.StatusError, tg.Status)
			assert.Contains(t, tg.Error, "listing the regions of "+unlisted)
		case tg.Region == extra:
			require.Len(t, tg.Findings, 1)
			f := tg.Findings[0]
			assert.Equal(t, audit.CheckRegionUncovered, f.Check)
			assert.Contains(t, f.Got, "ssm-user")
			assert.Equal(t, audit.StatusMissing, tg.Status)
			uncovered = append(uncovered, tg.Account)
		default:
			assert.ElementsMatch(t, orgseed.ExpectedChecks[stateOf(w, tg)], checks(tg.Findings), "%s/%s", tg.Account, tg.Region)
		}
	}
	assert.ElementsMatch(t, append([]string{w.org.ManagementAccount}, w.org.Accounts[1:]...), uncovered, "every listed account has the uncovered region")
	assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())
}

func stateOf(w *world, tg audit.Target) orgseed.State {
	if tg.Account == w.org.ManagementAccount {
		return orgseed.Compliant
	}
	return w.org.States[tg.Account+"/"+tg.Region]
}
