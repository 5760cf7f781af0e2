package audit_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy/membersection"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// exampleFor loads an example configuration rewritten for the organization
// moto built: its organization, management account, OUs (the example's
// first OU is the organization's first, the second its second) and
// regions, plus extra YAML.
func exampleFor(t *testing.T, path string, org orgseed.Org, regions []string, extra string) *settings.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(data)
	s = strings.ReplaceAll(s, "o-a1b2c3d4e5", org.ID)
	s = strings.ReplaceAll(s, "111111111111", org.ManagementAccount)
	s = strings.ReplaceAll(s, "ou-a1b2-workloads1", org.OUs[0])
	if len(org.OUs) > 1 {
		s = strings.ReplaceAll(s, "ou-a1b2-sandboxes1", org.OUs[1])
	}
	list := ""
	for _, r := range regions {
		list += "    - " + r + "\n"
	}
	s = regexp.MustCompile(`(?m)^  regions:\n(    - .*\n)+`).ReplaceAllString(s, "  regions:\n"+list)
	c, err := settings.Parse([]byte(s + extra))
	require.NoError(t, err, "the rewritten example")
	require.Equal(t, regions, c.Organization.Regions)
	return c
}

// memberIAM is an IAM client in account through the role the audit
// assumes there (the base credentials in the management account).
func memberIAM(base aws.Config, f *awsorg.Factory, account string) *iam.Client {
	cfg := base.Copy()
	if account != f.Management() {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), f.RoleARN(account)))
	}
	return iam.NewFromConfig(cfg)
}

const brokerYAML = `
broker:
  permissionSets:
    - name: SSM-Admin
      linuxUser: admin
    - name: SSM-Developer
      linuxUser: developer
`

// TestSessionRoleAgainstMoto seeds the broker's session role in every
// account and region of a moto organization, as the member template
// deploys it (membersection.For) or drifted in each way the audit must
// tell apart, and runs the whole audit: each account-region reports
// exactly its role's findings, and an account whose role cannot be read
// is an error of its own that leaves the rest of the run alone.
func TestSessionRoleAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	regions := []string{"eu-west-1", "us-east-1"}
	base := srv.Config(regions[0])
	f := awsorg.NewFactory(base, "123456789012", awsorg.FactoryOptions{})
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{Accounts: 3, OUs: 2, Regions: regions, Prefs: prefs})
	require.NoError(t, err)
	c := exampleFor(t, "../../../../examples/per-role/runas.yaml", org, regions, brokerYAML)
	// Identity Center is another section's business, and moto lacks its
	// ABAC calls.
	c.IdentityCenter = nil
	// Every document compliant, so each target's status is its role's.
	for _, r := range regions {
		require.NoError(t, orgseed.SetState(ctx, f.SSM(org.ManagementAccount, r), &c.SessionPreferences, orgseed.Compliant))
		for _, a := range org.Accounts {
			require.NoError(t, orgseed.SetState(ctx, f.SSM(a, r), &c.SessionPreferences, orgseed.Compliant))
		}
	}

	want, err := membersection.For(c)
	require.NoError(t, err)
	require.NotNil(t, want)
	otherBroker := c.BrokerSessionRoleArgs()
	otherBroker.BrokerRoleARN = "arn:aws:iam::" + org.ManagementAccount + ":role/someone-else"
	otherTrust, err := brokerpolicy.SessionRoleTrustPolicy(otherBroker)
	require.NoError(t, err)
	wider := c.BrokerSessionRoleArgs()
	wider.LinuxUsers = append(wider.LinuxUsers, "oracle")
	widerPerms, err := brokerpolicy.SessionRolePolicy(wider)
	require.NoError(t, err)

	type role struct {
		absent, noPolicy, extra bool
		trust, perms            []byte
	}
	a0, a1, a2 := org.Accounts[0], org.Accounts[1], org.Accounts[2]
	seeded := map[string]role{
		org.ManagementAccount + "/" + regions[0]: {},
		org.ManagementAccount + "/" + regions[1]: {},
		a0 + "/" + regions[0]:                    {},
		a0 + "/" + regions[1]:                    {absent: true},
		a1 + "/" + regions[0]:                    {trust: otherTrust.JSON()},
		a1 + "/" + regions[1]:                    {noPolicy: true},
		a2 + "/" + regions[0]:                    {extra: true},
		a2 + "/" + regions[1]:                    {perms: widerPerms.JSON()},
	}
	for key, r := range seeded {
		if r.absent {
			continue
		}
		account, region, _ := strings.Cut(key, "/")
		api := memberIAM(base, f, account)
		name := rules.SessionRoleName(want.BaseName, region)
		trust := string(want.Trust.JSON())
		if r.trust != nil {
			trust = string(r.trust)
		}
		_, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		require.NoError(t, err, key)
		if !r.noPolicy {
			perms := string(want.Permissions.JSON())
			if r.perms != nil {
				perms = string(r.perms)
			}
			_, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(membersection.SessionRolePolicyName), PolicyDocument: aws.String(perms)})
			require.NoError(t, err, key)
		}
		if r.extra {
			p, err := api.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("broad-" + region),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`)})
			require.NoError(t, err)
			_, err = api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.Policy.Arn})
			require.NoError(t, err)
			_, err = api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("debug"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:SendCommand","Resource":"*"}]}`)})
			require.NoError(t, err)
		}
	}

	wantFindings := map[string][]string{
		a0 + "/" + regions[1]: {audit.CheckSessionRoleMissing},
		a1 + "/" + regions[0]: {audit.CheckSessionRoleTrust},
		a1 + "/" + regions[1]: {audit.CheckSessionRolePolicy},
		a2 + "/" + regions[0]: {audit.CheckSessionRoleExtraPolicy},
		a2 + "/" + regions[1]: {audit.CheckSessionRolePolicy},
	}
	wantStatus := map[string]string{
		a0 + "/" + regions[1]: audit.StatusMissing,
		a1 + "/" + regions[0]: audit.StatusDrift,
		a1 + "/" + regions[1]: audit.StatusDrift,
		a2 + "/" + regions[0]: audit.StatusDrift,
		a2 + "/" + regions[1]: audit.StatusDrift,
	}

	src := audit.FromFactory(f, c, audit.RegionsConfigured)
	require.NotNil(t, src.IAM, "a configuration with a broker reads the session roles")
	rep, err := audit.Run(ctx, c, src, audit.Options{})
	require.NoError(t, err)
	require.Len(t, rep.Targets, len(seeded), "one target per account-region in scope")
	for _, tg := range rep.Targets {
		key := tg.Account + "/" + tg.Region
		require.Contains(t, seeded, key)
		assert.Empty(t, tg.Error, key)
		assert.ElementsMatch(t, wantFindings[key], checks(tg.Findings), "%s: %v", key, findings(tg.Findings))
		st := wantStatus[key]
		if st == "" {
			st = audit.StatusCompliant
		}
		assert.Equal(t, st, tg.Status, key)
		for _, fd := range tg.Findings {
			assert.Equal(t, rules.SessionRoleName(want.BaseName, tg.Region), strings.Fields(fd.Subject)[0], "the finding names the role")
			switch fd.Check {
			case audit.CheckSessionRoleTrust:
				assert.JSONEq(t, string(want.Trust.JSON()), fd.Want)
				assert.JSONEq(t, string(otherTrust.JSON()), fd.Got)
			case audit.CheckSessionRolePolicy:
				if key == a2+"/"+regions[1] {
					assert.JSONEq(t, string(want.Permissions.JSON()), fd.Want)
					assert.JSONEq(t, string(widerPerms.JSON()), fd.Got)
				} else {
					assert.Contains(t, fd.Got, "none")
				}
			case audit.CheckSessionRoleExtraPolicy:
				assert.Equal(t, "attached arn:aws:iam::"+a2+":policy/broad-"+regions[0]+", inline debug", fd.Got)
			}
		}
	}
	assert.Equal(t, 4, rep.Summary.Drift)
	assert.Equal(t, 1, rep.Summary.Missing)
	// The broker's function itself is checked once, in the organization
	// section; none was deployed here.
	assert.Contains(t, subjects(rep.Organization.Findings), audit.CheckBrokerFunctionMissing+" "+c.BrokerFunctionARN())

	// The audit's role may not read IAM in one account: that account's
	// targets say so, their document findings stay, the rest is checked
	// and the run is not stopped.
	denied := audit.FromFactory(f, c, audit.RegionsConfigured)
	read := denied.IAM
	denied.IAM = func(account, region string) audit.RoleAPI {
		if account == a1 {
			return deniedIAM{}
		}
		return read(account, region)
	}
	rep, err = audit.Run(ctx, c, denied, audit.Options{})
	require.NoError(t, err)
	assert.Empty(t, rep.Stopped)
	assert.Equal(t, 2, rep.Summary.Errors, "both regions of the account whose roles cannot be read")
	for _, tg := range rep.Targets {
		key := tg.Account + "/" + tg.Region
		if tg.Account == a1 {
			assert.Equal(t, audit.StatusError, tg.Status, key)
			assert.Contains(t, tg.Error, "checking the broker's session role in "+key)
			assert.Contains(t, tg.Error, "AccessDenied")
			continue
		}
		assert.ElementsMatch(t, wantFindings[key], checks(tg.Findings), key)
	}
	assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())
}

// deniedIAM answers like IAM to a caller without iam:GetRole.
type deniedIAM struct{}

func denied(op string) error {
	return &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized to perform: iam:" + op}
}

func (deniedIAM) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return nil, denied("GetRole")
}

func (deniedIAM) GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	return nil, denied("GetRolePolicy")
}

func (deniedIAM) ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return nil, denied("ListRolePolicies")
}

func (deniedIAM) ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return nil, denied("ListAttachedRolePolicies")
}
