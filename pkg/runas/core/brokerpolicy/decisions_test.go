package brokerpolicy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// The broker's rows of the attack table: the policies the per-permission-set
// model emits, evaluated by a real IAM policy evaluator, with the guardrail
// SCP in force in member accounts.

const (
	org         = "o-a1b2c3d4e5"
	otherOrg    = "o-zzzzzzzzzz"
	management  = "111111111111"
	member      = "222222222222"
	outsideAcct = "999999999999"
	covered     = "eu-west-1"
	instanceID  = "i-0123456789abcdef0"
	roleSuffix  = "0123456789abcdef"
	sessionRole = "ssm-runas-session"
	brokerName  = "ssm-runas-session-broker"
	person      = "alice@example.com"
	adminAccess = "AdministratorAccess"
	examplePath = "../../../../examples/per-role/runas.yaml"
	// sessionKeyAlias is the example's sessionPreferences.kmsKeyId.
	sessionKeyAlias = "alias/ssm-sessions"
)

var (
	functionARN    = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", covered, management, brokerName)
	brokerRoleARN  = fmt.Sprintf("arn:aws:iam::%s:role/%s", management, brokerName)
	sessionRoleARN = fmt.Sprintf("arn:aws:iam::%s:role/%s-%s", member, sessionRole, covered)
)

// docs are the emitted policies by key.
type docs map[string]policy.Document

// brokerSection is the broker section the example configuration gets.
const brokerSection = `
broker:
  permissionSets:
    - name: Admin
      linuxUser: admin
    - name: Developer
      linuxUser: developer
`

// emitted are the policies as the stack and ` + "`runas plan`" + ` compute them from
// the per-role example with a broker section: the settings functions give
// the arguments, the builders the documents.
func emitted(t *testing.T) docs {
	t.Helper()
	base, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	c, err := settings.Parse(append(base, []byte(brokerSection)...))
	require.NoError(t, err)
	require.Equal(t, functionARN, c.BrokerFunctionARN())
	require.Equal(t, brokerRoleARN, c.BrokerRoleARN())
	sr := c.BrokerSessionRoleArgs()
	trust, err := brokerpolicy.SessionRoleTrustPolicy(sr)
	require.NoError(t, err)
	perms, err := brokerpolicy.SessionRolePolicy(sr)
	require.NoError(t, err)
	caller, err := brokerpolicy.CallerPolicy(c.BrokerCallerArgs(false))
	require.NoError(t, err)
	brokerRole, err := brokerpolicy.BrokerRolePolicy(c.BrokerRoleArgs())
	require.NoError(t, err)
	url, err := brokerpolicy.FunctionURLPolicy(c.BrokerRoleArgs())
	require.NoError(t, err)
	scp, err := policy.GuardrailSCP(c.GuardrailSCPArgs())
	require.NoError(t, err)
	require.NotNil(t, c.SessionPreferences.KMSKeyID, "the example encrypts sessions")
	require.Equal(t, sessionKeyAlias, *c.SessionPreferences.KMSKeyID)
	return docs{"trust": trust, "session-role": perms, "caller": caller, "broker-role": brokerRole, "url": url, "scp": scp,
		adminAccess: {Version: policy.Version, Statement: []policy.Statement{{Effect: policy.Allow, Action: policy.Strings{"*"}, Resource: policy.Values{"*"}}}},
		// The default key policy: it defers to the account's IAM policies.
		"key": {Version: policy.Version, Statement: []policy.Statement{{Effect: policy.Allow,
			Principal: &policy.Principal{AWS: policy.Strings{"arn:aws:iam::" + member + ":root"}}, Action: policy.Strings{"kms:*"}, Resource: policy.Values{"*"}}}}}
}

// who makes a request.
type who struct {
	arn, principalARN, account, userID string
	policies                           []string
	// tags are principal tags; sourceIdentity is aws:SourceIdentity.
	runAs, sourceIdentity string
	orgID                 string
}

func ssoPerson(account, permissionSet, name, orgID string, policies ...string) who {
	role := "AWSReservedSSO_" + permissionSet + "_" + roleSuffix
	return who{
		arn:          fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, name),
		principalARN: fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s", account, role),
		account:      account, userID: "AROAEXAMPLEROLEID01:" + name, policies: policies, orgID: orgID,
	}
}

func roleSession(account, role, session string, policies ...string) who {
	return who{
		arn:          fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, session),
		principalARN: fmt.Sprintf("arn:aws:iam::%s:role/%s", account, role),
		account:      account, userID: "AROAEXAMPLEROLEID02:" + session, policies: policies, orgID: org,
	}
}

type tcase struct {
	name      string
	by        who
	action    string
	resources []string
	// resourcePolicy is the key of the resource's policy (trust or url).
	resourcePolicy string
	context        map[string]any
	allowed        bool
	denyBy         string
}

// sessionKey is a KMS key in account known by the aliases.
func sessionKey(account string, aliases ...string) (resource string, context map[string]any) {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", covered, account),
		map[string]any{"kms:ResourceAliases": aliases}
}

func instance(account string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", covered, account, instanceID)
}

func document(account, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:document/%s", covered, account, name)
}

func assumeContext(runAs *string, sourceIdentity *string, extraKeys ...string) map[string]any {
	ctx := map[string]any{brokerpolicy.ResourceOrgIDKey: org}
	var keys []string
	if runAs != nil {
		ctx[brokerpolicy.RunAsRequestTag] = *runAs
		keys = append(keys, policy.RunAsTagKey)
	}
	keys = append(keys, extraKeys...)
	if len(keys) > 0 {
		ctx[brokerpolicy.TagKeysKey] = keys
	}
	if sourceIdentity != nil {
		ctx[brokerpolicy.SourceIdentityKey] = *sourceIdentity
	}
	return ctx
}

func ptr(s string) *string { return &s }

func cases() []tcase {
	alice := ssoPerson(member, "Admin", person, org, "caller", adminAccess)
	bob := ssoPerson(member, "Developer", "bob@example.com", org, "caller")
	outsider := ssoPerson(outsideAcct, "Admin", "mallory", otherOrg, adminAccess)
	broker := roleSession(management, brokerName, brokerName, "broker-role")
	memberBroker := roleSession(member, brokerName, brokerName, "broker-role")
	memberAdmin := roleSession(member, "Admin", "mallory", adminAccess)
	stackSetExec := roleSession(member, "stacksets-exec-0123456789abcdef0123456789abcdef", "stackset", adminAccess)
	session := func(runAs, sourceIdentity string) who {
		w := roleSession(member, sessionRole, person, "session-role")
		w.runAs, w.sourceIdentity = runAs, sourceIdentity
		return w
	}
	start := func(name string, by who, doc string, allowed bool, denyBy string) tcase {
		return tcase{name: name, by: by, action: "ssm:StartSession", resources: []string{instance(member), document(member, doc)}, allowed: allowed, denyBy: denyBy}
	}
	invoke := func(name string, by who, action string, ctx map[string]any, allowed bool) tcase {
		return tcase{name: name, by: by, action: action, resources: []string{functionARN}, resourcePolicy: "url", context: ctx, allowed: allowed}
	}
	assume := func(name string, by who, action string, ctx map[string]any, allowed bool, denyBy string) tcase {
		return tcase{name: name, by: by, action: action, resources: []string{sessionRoleARN}, resourcePolicy: "trust", context: ctx, allowed: allowed, denyBy: denyBy}
	}
	viaURL := map[string]any{brokerpolicy.FunctionURLAuthType: "AWS_IAM"}
	viaURLInvoke := map[string]any{brokerpolicy.InvokedViaFunctionURL: "true"}
	good := assumeContext(ptr("admin"), ptr(person))
	dataKey := func(name string, by who, alias string, allowed bool) tcase {
		key, ctx := sessionKey(member, alias)
		return tcase{name: name, by: by, action: "kms:GenerateDataKey", resources: []string{key}, resourcePolicy: "key", context: ctx, allowed: allowed}
	}
	return []tcase{
		// What must work.
		invoke("works: a person calls the broker's URL", bob, "lambda:InvokeFunctionUrl", viaURL, true),
		invoke("works: the URL invokes the function for the person", bob, "lambda:InvokeFunction", viaURLInvoke, true),
		assume("works: the broker assumes the session role with the tag and SourceIdentity", broker, "sts:AssumeRole", good, true, ""),
		assume("works: the broker tags the session with a configured Linux user", broker, "sts:TagSession", good, true, ""),
		assume("works: the broker sets the person as SourceIdentity", broker, "sts:SetSourceIdentity", good, true, ""),
		start("works: the session role starts the session as admin for alice", session("admin", person), "SSM-SessionManagerRunShell", true, ""),
		{name: "works: a person the broker serves lists the instances", by: bob, action: "ec2:DescribeInstances", resources: []string{"*"}, allowed: true},
		{name: "works: a person the broker serves reads the instances' Session Manager status", by: bob, action: "ssm:DescribeInstanceInformation", resources: []string{"*"}, allowed: true},
		// session-manager-plugin generates the data key of an encrypted
		// session with the person's credentials, not the broker's.
		dataKey("works: a person the broker serves generates a data key with the sessions' key", bob, sessionKeyAlias, true),
		dataKey("a person the broker serves generates a data key with another key", bob, "alias/payroll", false),

		// The person around the broker.
		start("a person calls StartSession directly, with AdministratorAccess", alice, "SSM-SessionManagerRunShell", false, brokerpolicy.SidDenyDirectStartSession),
		invoke("a person invokes the function directly with an event of their own", alice, "lambda:InvokeFunction", map[string]any{brokerpolicy.InvokedViaFunctionURL: "false"}, false),
		invoke("a principal of another organization calls the URL", outsider, "lambda:InvokeFunctionUrl", viaURL, false),
		{name: "a person assumes the session role", by: alice, action: "sts:AssumeRole", resources: []string{sessionRoleARN}, resourcePolicy: "trust", context: good, allowed: false},

		// The session role.
		assume("the session role assumed without the Run As tag", broker, "sts:AssumeRole", assumeContext(nil, ptr(person)), false, ""),
		assume("the session role assumed without SourceIdentity", broker, "sts:AssumeRole", assumeContext(ptr("admin"), nil), false, ""),
		assume("the session role assumed without SourceIdentity (set)", broker, "sts:SetSourceIdentity", assumeContext(ptr("admin"), nil), false, ""),
		assume("the session tagged with a stock account", broker, "sts:TagSession", assumeContext(ptr("ec2-user"), ptr(person)), false, ""),
		assume("the session tagged with another key as well", broker, "sts:TagSession", assumeContext(ptr("admin"), ptr(person), "Team"), false, ""),
		assume("a member-account admin assumes the session role", memberAdmin, "sts:AssumeRole", good, false, ""),
		func() tcase {
			c := assume("the broker assumes a same-named role outside the organization", broker, "sts:AssumeRole", good, false, "")
			c.context = assumeContext(ptr("admin"), ptr(person))
			c.context[brokerpolicy.ResourceOrgIDKey] = otherOrg
			c.resources = []string{fmt.Sprintf("arn:aws:iam::%s:role/%s-%s", outsideAcct, sessionRole, covered)}
			return c
		}(),
		assume("a broker in a member account tags sessions (the guardrail SCP forbids it: run the broker in the management account)", memberBroker, "sts:TagSession", good, false, policy.SidDenyRunAsSessionTags),
		start("the session role without SourceIdentity", session("admin", ""), "SSM-SessionManagerRunShell", false, brokerpolicy.SidDenyStartSessionWithoutSourceIdent),
		start("the session role with a stock account's tag", session("ec2-user", person), "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
		start("the session role without a tag", session("", person), "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
		start("the session role with another document", session("admin", person), "Home-Made-Shell-RunAs-Off", false, policy.SidDenyOtherSessionDocuments),
		func() tcase {
			w := session("admin", person)
			w.policies = append(w.policies, adminAccess)
			return start("the session role, AdministratorAccess attached to it, with another document", w, "Home-Made-Shell-RunAs-Off", false, policy.SidDenyOtherSessionDocuments)
		}(),

		// The session role itself, in a member account.
		{name: "a member-account admin rewrites the session role's trust", by: memberAdmin, action: "iam:UpdateAssumeRolePolicy",
			resources: []string{sessionRoleARN}, allowed: false, denyBy: policy.SidProtectRunAsRoles},
		{name: "a member-account admin attaches a policy to the session role", by: memberAdmin, action: "iam:AttachRolePolicy",
			resources: []string{sessionRoleARN}, allowed: false, denyBy: policy.SidProtectRunAsRoles},
		{name: "works: the StackSet execution role updates the session role", by: stackSetExec, action: "iam:UpdateAssumeRolePolicy",
			resources: []string{sessionRoleARN}, allowed: true},
	}
}

func requests(cs []tcase, d docs) []iamsim.Request {
	full := iamsim.Policy{Name: "FullAWSAccess", Policy: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
	scp := iamsim.Policy{Name: "ssm-runas-guardrail", Policy: json.RawMessage(d["scp"].JSON())}
	var out []iamsim.Request
	for i, tc := range cs {
		var identity []iamsim.Policy
		for _, k := range tc.by.policies {
			identity = append(identity, iamsim.Policy{Name: k, Policy: json.RawMessage(d[k].JSON())})
		}
		var scps []iamsim.OrgLevel
		if tc.by.account == member {
			scps = []iamsim.OrgLevel{
				{OrgIdentifier: "r-ab12", Policies: []iamsim.Policy{full}},
				{OrgIdentifier: "ou-a1b2-workloads1", Policies: []iamsim.Policy{full, scp}},
				{OrgIdentifier: member, Policies: []iamsim.Policy{full}},
			}
		}
		ctx := map[string]any{
			"aws:RequestedRegion": covered, "aws:PrincipalAccount": tc.by.account,
			"aws:PrincipalArn": tc.by.principalARN, "aws:userid": tc.by.userID, brokerpolicy.PrincipalOrgIDKey: tc.by.orgID,
		}
		if tc.by.runAs != "" {
			ctx[policy.RunAsPrincipalTag] = tc.by.runAs
		}
		if tc.by.sourceIdentity != "" {
			ctx[brokerpolicy.PrincipalSourceIDKey] = tc.by.sourceIdentity
		}
		for k, v := range tc.context {
			ctx[k] = v
		}
		var rp json.RawMessage
		if tc.resourcePolicy != "" {
			rp = json.RawMessage(d[tc.resourcePolicy].JSON())
		}
		for _, res := range tc.resources {
			acct := tc.by.account
			if parts := splitARN(res); len(parts) > 4 && len(parts[4]) == 12 {
				acct = parts[4]
			}
			out = append(out, iamsim.Request{Name: fmt.Sprint(i), IdentityPolicies: identity, ServiceControlPolicies: scps,
				ResourcePolicy: rp, Principal: tc.by.arn, Action: tc.action, Resource: res, ResourceAccount: acct, Context: ctx})
		}
	}
	return out
}

func splitARN(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s) && len(parts) < 5; i++ {
		if s[i] == ':' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

type outcome = iamsim.Outcome

// evaluate runs the table against each set of policies in one evaluator run.
func evaluate(t *testing.T, cs []tcase, sets []docs) [][]outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reqs := make([][]iamsim.Request, len(sets))
	for k, d := range sets {
		reqs[k] = requests(cs, d)
	}
	out, err := iamsim.EvaluateSets(ctx, len(cs), reqs)
	require.NoError(t, err)
	return out
}

func TestBrokerDecisions(t *testing.T) {
	require.NoError(t, iamsim.Check())
	table := cases()
	got := evaluate(t, table, []docs{emitted(t)})[0]
	for i, tc := range table {
		t.Run(tc.name, func(t *testing.T) {
			require.Empty(t, got[i].Errors, "the evaluator refused the request")
			assert.Equal(t, tc.allowed, got[i].Allowed, "denied by %v", got[i].Denies)
			if tc.denyBy != "" {
				assert.Contains(t, got[i].Denies, tc.denyBy)
			}
		})
	}
}

// A broker caller naming another account is refused by the broker itself,
// before any IAM decision: the session role is only ever assumed in the
// caller's own account.
func TestBrokerRefusesAnotherAccount(t *testing.T) {
	r := rules.Rules{OrganizationID: org, PermissionSets: map[string]string{"Admin": "admin"}, SessionRoleName: sessionRole, Regions: []string{covered}}
	c := rules.Caller{ARN: ssoPerson(member, "Admin", person, org).arn, AccountID: member, PrincipalOrgID: org}
	d := r.Decide(c, rules.Request{Target: instanceID, Region: covered, AccountID: "333333333333"})
	assert.False(t, d.Allowed)
	assert.Contains(t, d.Reason, "is not the caller's account")
	d = r.Decide(c, rules.Request{Target: instanceID, Region: covered})
	require.True(t, d.Allowed, d.Reason)
	assert.Equal(t, sessionRoleARN, d.SessionRoleARN)
}

// mutated are the statements whose removal the table must notice.
var mutated = map[string][]string{
	"trust":        {brokerpolicy.SidBrokerAssumesSessionRole, brokerpolicy.SidBrokerTagsRunAsUser, brokerpolicy.SidBrokerSetsSourceIdentity},
	"session-role": {brokerpolicy.SidDenyStartSessionWithoutSourceIdent, policy.SidDenyRunAsOutsideRoleUsers, policy.SidDenyOtherSessionDocuments, policy.SidStartSessionOnInstances, policy.SidStartSessionWithAllowedDocuments},
	"caller": {brokerpolicy.SidInvokeSessionBroker, brokerpolicy.SidInvokeSessionBrokerFunction, brokerpolicy.SidDenyDirectStartSession,
		policy.SidSessionManagerConsoleRead, policy.SidEncryptSessionData},
	"broker-role": {brokerpolicy.SidAssumeSessionRoles},
	"url":         {brokerpolicy.SidOrganizationInvokesURL, brokerpolicy.SidOrganizationInvokesThroughURL},
}

// TestEveryStatementIsNeeded removes each statement in turn and requires at
// least one case of the table to change its decision, and weakening a
// condition of the trust policy to be noticed too.
func TestEveryStatementIsNeeded(t *testing.T) {
	require.NoError(t, iamsim.Check())
	base := emitted(t)
	var sets []docs
	var names []string
	for key, sids := range mutated {
		for _, sid := range sids {
			d := clone(base)
			doc := d[key]
			n := len(doc.Statement)
			doc.Statement = slices.DeleteFunc(slices.Clone(doc.Statement), func(s policy.Statement) bool { return s.Sid == sid })
			require.Equal(t, n-1, len(doc.Statement), "%s has no statement %s", key, sid)
			d[key] = doc
			sets = append(sets, d)
			names = append(names, key+"/"+sid)
		}
	}
	// Weakened conditions: the trust policy's Null on SourceIdentity, and
	// its check of the tag's value.
	for _, cut := range []struct{ sid, op string }{
		{brokerpolicy.SidBrokerAssumesSessionRole, "Null"},
		{brokerpolicy.SidBrokerTagsRunAsUser, "StringEquals"},
		{brokerpolicy.SidBrokerTagsRunAsUser, "ForAllValues:StringEquals"},
	} {
		d := clone(base)
		doc := d["trust"]
		doc.Statement = slices.Clone(doc.Statement)
		for i, s := range doc.Statement {
			if s.Sid == cut.sid {
				c := policy.Condition{}
				for k, v := range s.Condition {
					if k != cut.op {
						c[k] = v
					}
				}
				doc.Statement[i].Condition = c
			}
		}
		d["trust"] = doc
		sets = append(sets, d)
		names = append(names, "trust/"+cut.sid+" without "+cut.op)
	}
	table := cases()
	want := make([]bool, len(table))
	for i, tc := range table {
		want[i] = tc.allowed
	}
	got := evaluate(t, table, sets)
	for k, name := range names {
		changed := false
		for i := range table {
			require.Empty(t, got[k][i].Errors, "%s: case %q", name, table[i].name)
			if got[k][i].Allowed != want[i] {
				changed = true
			}
		}
		assert.True(t, changed, "removing %s changes no decision: the table does not test it", name)
	}
}

func clone(d docs) docs {
	out := docs{}
	for k, v := range d {
		out[k] = v
	}
	return out
}
