package explain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/explain"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func perUserExample(t testing.TB) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	return c
}

func dir(v string) *string { return &v }

func TestExplainPerUser(t *testing.T) {
	c := perUserExample(t)
	qualified := perUserExample(t)
	qualified.PerUser.FullyQualifiedNames = true
	qualified.PerUser.DefaultDomainSuffix = "corp.example.com"
	rfc2307 := perUserExample(t)
	rfc2307.PerUser.IDMapping = new(bool)

	tests := []tcase{
		{"mixed-case sAMAccountName is lower-cased", c, explain.Request{DirectoryValue: dir("Alice")},
			"alice", "", `onPremisesSamAccountName "Alice", lower-cased by the provisioning mapping ToLower([onPremisesSamAccountName], )`},
		{"bare names resolve", c, explain.Request{DirectoryValue: dir("alice")},
			"alice", "", "use_fully_qualified_names = False"},
		{"qualified names resolve through the default suffix", qualified, explain.Request{DirectoryValue: dir("alice")},
			"alice", "", "resolves as alice@corp.example.com"},
		{"RFC2307 needs uidNumber", rfc2307, explain.Request{DirectoryValue: dir("alice")},
			"alice", "", "an account without them does not resolve"},
		{"homes for login and sudo groups", c, explain.Request{DirectoryValue: dir("alice")},
			"alice", "", "HOME is /home/alice, created for members of Linux-Users, Linux-Admins, DB Operators"},
		{"unique among the others given", c, explain.Request{DirectoryValue: dir("alice"), Others: []string{"bob", "carol"}},
			"alice", "", `none of the 2 other values given is "alice"`},
		{"uniqueness left to the audit", c, explain.Request{DirectoryValue: dir("alice")},
			"alice", "", "`runas audit` checks"},
		{"another person holds the value in another case", c, explain.Request{DirectoryValue: dir("alice"), Others: []string{"bob", "ALICE"}},
			"alice", explain.SharedValue, `another person holds "ALICE"`},
		{"empty attribute provisions nothing", c, explain.Request{DirectoryValue: dir("")},
			"", explain.NoValue, "Identity Center keeps the one it held before"},
		{"a reserved name is denied by the SCP", c, explain.Request{DirectoryValue: dir("Ubuntu")},
			"", explain.Reserved, "SCP DenyReservedRunAsUsers"},
		{"a reserved name is denied in the management account too", c, explain.Request{AttributeValues: []string{"ec2-user"}},
			"", explain.Reserved, "DenyReservedRunAsUsers"},
		{"an AD name that is no Linux name", c, explain.Request{DirectoryValue: dir("John.Smith")},
			"", explain.InvalidName, `refused: "john.smith"`},
		{"no value: the permission sets deny", c, explain.Request{AttributeValues: []string{}},
			"", explain.TagAbsent, "DenyStartSessionWithoutRunAsTag (the same in every ssm-runas permission set)"},
		{"a region without the document", c, explain.Request{DirectoryValue: dir("alice"), Region: "ap-southeast-2"},
			"", explain.RegionNotCovered, "ap-southeast-2 has no preferences document"},
		{"a named permission set", c, explain.Request{DirectoryValue: dir("alice"), PermissionSet: "SSM-Linux-User"},
			"alice", "", "per-user permission sets carry the same session rules"},
		{"not among the host's users", c, explain.Request{DirectoryValue: dir("alice"), HostUsers: []string{"bob"}},
			"", explain.UserMissing, "failed to start pty since RunAs user alice does not exist"},
		{"among the host's users", c, explain.Request{DirectoryValue: dir("Alice"), HostUsers: []string{"alice", "bob"}},
			"alice", "", "among the given host users"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.User = "alice@example.com"
			res, err := explain.Explain(tc.c, tc.req)
			require.NoError(t, err)
			if tc.linuxUser == "" {
				assert.Nil(t, res.LinuxUser, "%v", res.Steps)
			} else if assert.NotNil(t, res.LinuxUser, "%v", res.Steps) {
				assert.Equal(t, tc.linuxUser, *res.LinuxUser)
			}
			if tc.failure == "" {
				assert.Nil(t, res.Failure, "%v", res.Steps)
			} else if assert.NotNil(t, res.Failure, "%v", res.Steps) {
				assert.Equal(t, tc.failure, *res.Failure)
			}
			assert.Contains(t, fmt.Sprint(res.Steps), tc.stepHas)
		})
	}
}

func TestExplainPerUserRefuses(t *testing.T) {
	_, err := explain.Explain(perUserExample(t), explain.Request{User: "a", DirectoryValue: dir("a"), AttributeValues: []string{"a"}})
	assert.ErrorContains(t, err, "exactly one of")
	_, err = explain.Explain(example(t), explain.Request{User: "a", DirectoryValue: dir("a")})
	assert.ErrorContains(t, err, "only read by the per-user models")
}

func TestProvisionedValue(t *testing.T) {
	c := perUserExample(t)
	v, rule := explain.ProvisionedValue(c, "Bob")
	assert.Equal(t, "bob", v)
	assert.Contains(t, rule, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter")
	c.Entra = nil
	v, rule = explain.ProvisionedValue(c, "Bob")
	assert.Equal(t, "bob", v)
	assert.Contains(t, rule, "runas entra map-attribute")
}

// TestExplainPerUserAgreesWithEvaluator: for per-user values, regions and
// documents, explain's IAM decision is the evaluator's on the policies the
// per-user program deploys (the permission-set policy from
// settings.Config.PermissionSetPolicyArgs, the guardrail SCP), in a member
// account under the SCP and in the management account.
func TestExplainPerUserAgreesWithEvaluator(t *testing.T) {
	require.NoError(t, iamsim.Check())
	c := perUserExample(t)
	ps := policy.PermissionSetSessionPolicy(c.PermissionSetPolicyArgs(settings.Role{PermissionSet: settings.PermissionSet{Name: "SSM-Linux-User"}}))
	scp, err := policy.GuardrailSCP(c.GuardrailSCPArgs())
	require.NoError(t, err)
	full := iamsim.Policy{Name: "FullAWSAccess", Policy: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
	const member, management = "222222222222", "111111111111"

	iamFailures := []explain.Failure{explain.TagAbsent, explain.Reserved, explain.RegionNotCovered, explain.DocumentNotAllowed}
	values := []*string{nil, dir("alice"), dir("ubuntu"), dir("ec2-user"), dir("ssm-user"), dir("root"), dir("john.smith")}
	regions := []string{"eu-west-1", "eu-central-1", "ap-southeast-2"}
	docs := []string{"SSM-SessionManagerRunShell", "AWS-StartSSHSession"}
	type combo struct {
		account, trace string
		explained      bool
	}
	var combos []combo
	var reqs []iamsim.Request
	for _, account := range []string{member, management} {
		for _, v := range values {
			for _, region := range regions {
				for _, doc := range docs {
					req := explain.Request{User: "alice", PermissionSet: "SSM-Linux-User", Region: region, Document: doc, AttributeValues: []string{}}
					if v != nil {
						req.AttributeValues = []string{*v}
					}
					// The management account has no SCP: explain the same
					// request without the guardrail there.
					cfg := c
					if account == management {
						cfg = perUserExample(t)
						cfg.Guardrail.Enabled = new(bool)
					}
					res, err := explain.Explain(cfg, req)
					require.NoError(t, err)
					allowed := res.Failure == nil || !slices.Contains(iamFailures, *res.Failure)
					i := len(combos)
					combos = append(combos, combo{account, fmt.Sprint(res.Steps), allowed})

					role := "AWSReservedSSO_SSM-Linux-User_0123456789abcdef"
					ctx := map[string]any{
						"aws:RequestedRegion": region, "aws:PrincipalAccount": account,
						"aws:PrincipalArn": fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s", account, role),
						"aws:userid":       "AROAEXAMPLEROLEID01:alice",
					}
					if v != nil {
						ctx[policy.RunAsPrincipalTag] = *v
					}
					var scps []iamsim.OrgLevel
					if account == member {
						scps = []iamsim.OrgLevel{
							{OrgIdentifier: "r-ab12", Policies: []iamsim.Policy{full}},
							{OrgIdentifier: "ou-a1b2-workloads1", Policies: []iamsim.Policy{full, {Name: "guardrail", Policy: scp.JSON()}}},
							{OrgIdentifier: account, Policies: []iamsim.Policy{full}},
						}
					}
					for _, resource := range []string{
						fmt.Sprintf("arn:aws:ec2:%s:%s:instance/i-0123456789abcdef0", region, account),
						fmt.Sprintf("arn:aws:ssm:%s:%s:document/%s", region, account, doc),
					} {
						reqs = append(reqs, iamsim.Request{
							Name:                   fmt.Sprint(i),
							IdentityPolicies:       []iamsim.Policy{{Name: "ps", Policy: ps.JSON()}},
							ServiceControlPolicies: scps,
							Principal:              fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/alice", account, role),
							Action:                 "ssm:StartSession", Resource: resource, ResourceAccount: account, Context: ctx,
						})
					}
				}
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	answers, err := iamsim.Evaluate(ctx, reqs)
	require.NoError(t, err)
	allowed := make([]bool, len(combos))
	for i := range allowed {
		allowed[i] = true
	}
	for _, a := range answers {
		var i int
		_, err := fmt.Sscan(a.Name, &i)
		require.NoError(t, err)
		require.NotEqual(t, "Error", a.Decision, string(a.Errors))
		if a.Decision != iamsim.Allowed {
			allowed[i] = false
		}
	}
	denied := 0
	for i, cb := range combos {
		assert.Equal(t, allowed[i], cb.explained, "case %d in %s: evaluator allowed=%v, explain: %s", i, cb.account, allowed[i], cb.trace)
		if !allowed[i] {
			denied++
		}
	}
	assert.NotZero(t, denied, "the table must hold denied sessions")
	assert.Less(t, denied, len(combos), "the table must hold allowed sessions")
}
