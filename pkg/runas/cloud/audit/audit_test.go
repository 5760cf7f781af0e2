package audit_test

import (
	"context"
	"fmt"
	"sort"
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

	"github.com/ssm-runas/ssm-runas/internal/faultproxy"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
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
sessionPreferences:
  runAsDefaultUser: ssm-fallback
  s3: {bucketName: corp-session-logs}
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef
  region: eu-west-1
  identityStoreId: %s
  runAsSource: ${path:title}
roles:
  - {name: admin, entraGroup: SG-Admin, linuxUser: admin, precedence: 1, permissionSet: {name: SSM-Admin}, assignments: ["222222222222"]}
  - {name: developer, entraGroup: SG-Dev, linuxUser: developer, precedence: 3, permissionSet: {name: SSM-Dev}, assignments: ["222222222222"]}
  - {name: support, entraGroup: SG-Support, linuxUser: support, precedence: 4, permissionSet: {name: SSM-Support}, assignments: ["222222222222"]}
`, org.ID, org.ManagementAccount, strings.Join(org.OUs, ", "), strings.Join(regions, ", "), identityStore)
	c, err := settings.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return c
}

type world struct {
	srv     *motoserver.Server
	factory *audit.Factory
	org     orgseed.Org
	cfg     *settings.Config
	outside string // an account outside the configured OUs
}

// build seeds moto with an organization whose account-regions cover every
// state, an SCP attached to one of two OUs, a StackSet with instances in
// one of two regions, and identity store users in every situation.
func build(t *testing.T, endpoint string, srv *motoserver.Server, fo audit.FactoryOptions) *world {
	t.Helper()
	ctx := motoserver.Context(t)
	base := srv.Config("eu-west-1")
	base.BaseEndpoint = aws.String(endpoint)
	f := audit.NewFactory(base, "123456789012", fo)
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
	if err != nil {
		t.Fatal(err)
	}
	w := &world{srv: srv, factory: f, org: org, cfg: testConfig(t, org)}
	for _, r := range regions {
		if err := orgseed.SetState(ctx, f.SSM(org.ManagementAccount, r), prefs, orgseed.Compliant); err != nil {
			t.Fatal(err)
		}
	}

	// An account in the root, outside the configured OUs, with no document.
	orgs := f.Organizations()
	acct, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("outside"), Email: aws.String("outside@corp.example")})
	if err != nil {
		t.Fatal(err)
	}
	w.outside = aws.ToString(acct.CreateAccountStatus.AccountId)

	// The SCP, attached to the first OU only.
	scp, _ := policy.SessionPreferencesSCP(nil)
	p, err := orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(w.cfg.Guardrail.PolicyName), Description: aws.String("test"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(string(scp.JSON()))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: p.Policy.PolicySummary.Id, TargetId: aws.String(org.OUs[0])}); err != nil {
		t.Fatal(err)
	}

	// The StackSet, with instances in the first region only.
	cf := f.CloudFormation(regions[0])
	if _, err := cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{StackSetName: aws.String(w.cfg.Organization.StackSet.Name),
		TemplateBody: aws.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":"ssm-runas-test"}}}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{StackSetName: aws.String(w.cfg.Organization.StackSet.Name),
		Accounts: org.Accounts[:2], Regions: regions[:1]}); err != nil {
		t.Fatal(err)
	}

	// Identity store users: right, stale by precedence, stale after losing
	// every role, missing, unknown, invalid.
	ids := f.IdentityStore("eu-west-1")
	group := map[string]string{}
	for _, g := range []string{"SG-Admin", "SG-Dev", "SG-Support"} {
		out, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: aws.String(identityStore), DisplayName: aws.String(g)})
		if err != nil {
			t.Fatal(err)
		}
		group[g] = aws.ToString(out.GroupId)
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
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range u.groups {
			if _, err := ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: aws.String(identityStore),
				GroupId: aws.String(group[g]), MemberId: &idstypes.MemberIdMemberUserId{Value: aws.ToString(out.UserId)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

func (w *world) sources() audit.Sources {
	s := audit.FromFactory(w.factory, w.cfg, audit.RegionsConfigured)
	s.ABAC = abacStub{source: "${path:title}"}
	return s
}

func checks(fs []audit.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func findings(fs []audit.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check+" "+f.Subject+": want "+f.Want+" got "+f.Got)
	}
	return strings.Join(out, "\n")
}

// verifyReport checks the report holds exactly the findings the seeded
// states imply, for every target, and no other target.
func verifyReport(t *testing.T, w *world, rep audit.Report, except ...string) {
	t.Helper()
	want := map[string]orgseed.State{}
	for k, s := range w.org.States {
		want[k] = s
	}
	skip := map[string]bool{}
	for _, e := range except {
		skip[e] = true
	}
	for _, r := range regions {
		want[w.org.ManagementAccount+"/"+r] = orgseed.Compliant
	}
	if len(rep.Targets) != len(want) {
		t.Errorf("%d targets, want %d", len(rep.Targets), len(want))
	}
	for _, tg := range rep.Targets {
		key := tg.Account + "/" + tg.Region
		s, ok := want[key]
		if !ok {
			t.Errorf("unexpected target %s (outside the scope?)", key)
			continue
		}
		if skip[tg.Account] {
			continue
		}
		wantChecks := append([]string(nil), orgseed.ExpectedChecks[s]...)
		sort.Strings(wantChecks)
		if got := checks(tg.Findings); got != strings.Join(wantChecks, ",") {
			t.Errorf("%s (%s): checks %q, want %q (status %s, error %s)", key, s, got, strings.Join(wantChecks, ","), tg.Status, tg.Error)
		}
	}
	wantOrg := "scp-attachment " + w.org.OUs[1] + ": want attached got not attached\n" +
		"stackset-region " + regions[1] + ": want stack instances got none"
	if got := findings(rep.Organization.Findings); got != wantOrg || rep.Organization.Status != audit.StatusDrift {
		t.Errorf("organization (%s %s):\n%s\nwant\n%s", rep.Organization.Status, rep.Organization.Error, got, wantOrg)
	}
	wantIC := strings.Join([]string{
		"value-stale bob: want admin got developer",
		"value-stale carol: want no value (in no role group) got admin",
		"value-missing dave: want developer got (none)",
		"value-unknown erin: want a role account or no value got dba",
		"value-invalid frank: want support got Support Desk",
	}, "\n")
	if got := findings(rep.IdentityCenter.Findings); got != wantIC {
		t.Errorf("identity center (%s %s):\n%s\nwant\n%s", rep.IdentityCenter.Status, rep.IdentityCenter.Error, got, wantIC)
	}
}

func TestAuditAndRemediateAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	w := build(t, srv.URL, srv, audit.FactoryOptions{})
	ctx := motoserver.Context(t)

	rep, err := audit.Run(ctx, w.cfg, w.sources(), audit.Options{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	verifyReport(t, w, rep)
	if rep.ExitCode() != audit.ExitFindings {
		t.Fatalf("exit code %d, want 1", rep.ExitCode())
	}

	dry, err := remediate.Run(ctx, w.cfg, w.sources(), remediate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := rep.Summary.Drift + rep.Summary.Missing
	if dry.Writes != bad || dry.Errors != 0 {
		t.Fatalf("dry run: %d writes (want %d), %d errors", dry.Writes, bad, dry.Errors)
	}
	again, _ := audit.Run(ctx, w.cfg, w.sources(), audit.Options{})
	if again.Summary.Compliant != rep.Summary.Compliant {
		t.Fatal("a dry run wrote")
	}

	applied, err := remediate.Run(ctx, w.cfg, w.sources(), remediate.Options{Apply: true})
	if err != nil || applied.Writes != bad || applied.Errors != 0 {
		t.Fatalf("apply: %+v %v", applied, err)
	}
	after, err := audit.Run(ctx, w.cfg, w.sources(), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Summary.Compliant != after.Summary.Targets || after.Summary.Errors != 0 {
		for _, tg := range after.Targets {
			if tg.Status != audit.StatusCompliant {
				t.Errorf("%s/%s still %s: %s", tg.Account, tg.Region, tg.Status, findings(tg.Findings))
			}
		}
		t.Fatal("targets not compliant after remediation")
	}
	second, err := remediate.Run(ctx, w.cfg, w.sources(), remediate.Options{Apply: true})
	if err != nil || second.Writes != 0 || second.Unchanged != after.Summary.Targets {
		t.Fatalf("a second remediation must write nothing: %+v %v", second, err)
	}
	// The account outside the scope was never touched.
	for _, r := range regions {
		st, err := ssmprefs.Read(ctx, w.factory.SSM(w.outside, r), sessiondoc.DocumentName)
		if err != nil || st.Exists {
			t.Fatalf("account %s outside the scope has a document in %s (%v)", w.outside, r, err)
		}
	}
}

// TestAuditUnderFaults puts a proxy between the audit and moto that
// answers every fifth call with a throttling error or a 500, and every call
// made for one account with a 500.
func TestAuditUnderFaults(t *testing.T) {
	srv := motoserver.Start(t)
	fo := audit.FactoryOptions{MaxAttempts: 10, MaxBackoff: 200 * time.Millisecond}
	w := build(t, srv.URL, srv, fo)
	ctx := motoserver.Context(t)
	proxy := faultproxy.New(t, srv.URL)

	through := func() audit.Sources {
		base := srv.Config("eu-west-1")
		base.BaseEndpoint = aws.String(proxy.URL)
		f := audit.NewFactory(base, "123456789012", fo)
		s := audit.FromFactory(f, w.cfg, audit.RegionsConfigured)
		s.ABAC = abacStub{source: "${path:title}"}
		return s
	}

	t.Run("a share of calls throttled or failing", func(t *testing.T) {
		proxy.Every = 5
		rep, err := audit.Run(ctx, w.cfg, through(), audit.Options{Concurrency: 8})
		if err != nil {
			t.Fatal(err)
		}
		if proxy.Injected == 0 {
			t.Fatal("the proxy injected no fault")
		}
		// One role assumed per member account, however many regions.
		for _, a := range w.org.Accounts {
			if n := proxy.AssumeRoles[a]; n != 1 {
				t.Errorf("account %s: role assumed %d times, want once", a, n)
			}
		}
		verifyReport(t, w, rep)
		if rep.Summary.Errors != 0 || rep.ExitCode() != audit.ExitFindings {
			t.Fatalf("retries must absorb the faults: %d errors, exit %d", rep.Summary.Errors, rep.ExitCode())
		}
	})

	t.Run("every call of one account failing", func(t *testing.T) {
		proxy.Every, proxy.Victim = 0, w.org.Accounts[0]
		rep, err := audit.Run(ctx, w.cfg, through(), audit.Options{Concurrency: 8})
		if err != nil {
			t.Fatal(err)
		}
		verifyReport(t, w, rep, proxy.Victim)
		var victim int
		for _, tg := range rep.Targets {
			if tg.Account == proxy.Victim {
				victim++
				if tg.Status != audit.StatusError || tg.Error == "" {
					t.Errorf("%s/%s: status %s, want error with its reason", tg.Account, tg.Region, tg.Status)
				}
			}
		}
		if victim != len(regions) || rep.Summary.Errors != len(regions) || rep.ExitCode() != audit.ExitIncomplete {
			t.Fatalf("the failing account must be listed in every region as error, exit 2: %d targets, %d errors, exit %d",
				victim, rep.Summary.Errors, rep.ExitCode())
		}
	})
}

// listRegionsStub stands in for account:ListRegions, which moto does not
// implement; it is the audit's own interface.
type listRegionsStub struct {
	byAccount map[string][]string
	asked     []string
}

func (s *listRegionsStub) ListRegions(_ context.Context, in *account.ListRegionsInput, _ ...func(*account.Options)) (*account.ListRegionsOutput, error) {
	acct := aws.ToString(in.AccountId)
	s.asked = append(s.asked, acct)
	if len(in.RegionOptStatusContains) != 2 {
		return nil, fmt.Errorf("want enabled and enabled-by-default regions, asked for %v", in.RegionOptStatusContains)
	}
	rs, ok := s.byAccount[acct]
	if !ok {
		return nil, fmt.Errorf("AccessDeniedException: account %s", acct)
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
	e := audit.EnabledRegions{API: stub, Management: "111111111111"}
	ctx := context.Background()
	got, err := e.Regions(ctx, "222222222222")
	if err != nil || strings.Join(got, ",") != "ap-southeast-2,eu-west-1" {
		t.Fatalf("member account: %v %v", got, err)
	}
	got, err = e.Regions(ctx, "111111111111")
	if err != nil || strings.Join(got, ",") != "eu-west-1,us-east-1" {
		t.Fatalf("management account: %v %v", got, err)
	}
	if _, err := e.Regions(ctx, "333333333333"); err == nil || !strings.Contains(err.Error(), "listing the regions of 333333333333") {
		t.Fatalf("want the account named in the error, got %v", err)
	}
}
