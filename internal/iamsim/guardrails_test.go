package iamsim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// The attack table: for each hole in the guardrails, the requests an
// attacker would make, and the requests that must keep working, evaluated
// against the policies exactly as the example configuration emits them
// (settings.Config.PermissionSetPolicyArgs and GuardrailSCPArgs, the same
// functions the stack and `runas plan` call).

const (
	examplePath = "../../examples/per-role/runas.yaml"
	// member is an account under ou-a1b2-workloads1, where the SCP is
	// attached; management is the organization's management account, which
	// no SCP reaches.
	member       = "222222222222"
	management   = "111111111111"
	pipeline     = "333333333333"
	otherAccount = "444444444444"
	covered      = "eu-west-1"
	uncovered    = "ap-southeast-2"
	instanceID   = "i-0123456789abcdef0"
	roleIDSuffix = "0123456789abcdef"
)

// caller is who makes a request.
type caller struct {
	// arn is the calling principal (an assumed-role session, or a SAML
	// provider for federated sign-in).
	arn string
	// principalARN is aws:PrincipalARN: the role's ARN for a role session;
	// empty for unsigned requests (AssumeRoleWithSAML carries none).
	principalARN string
	account      string
	userID       string
	// runAs is the SSMSessionRunAs principal tag, if any.
	runAs *string
	// policies are the keys of the identity policies (see policies()).
	policies []string
}

// sso is a person signed in through Identity Center with a permission set.
func sso(account, permissionSet, person string, runAs *string, extra ...string) caller {
	role := "AWSReservedSSO_" + permissionSet + "_" + roleIDSuffix
	return caller{
		arn:          fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, person),
		principalARN: fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s", account, role),
		account:      account,
		userID:       "AROAEXAMPLEROLEID01:" + person,
		runAs:        runAs,
		policies:     append([]string{"ps:" + permissionSet}, extra...),
	}
}

// role is a session of an IAM role with the given identity policies.
func role(account, name string, policies ...string) caller {
	return caller{
		arn:          fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/session", account, name),
		principalARN: fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name),
		account:      account,
		userID:       "AROAEXAMPLEROLEID02:session",
		policies:     policies,
	}
}

func tag(v string) *string { return &v }

// tcase is one row of the table. A StartSession names two resources (the
// instance and the document); the case is allowed only when each is.
type tcase struct {
	hole, name string
	who        caller
	action     string
	resources  []string
	region     string
	context    map[string]any
	// trust is the resource policy (a role's trust policy), if any.
	trust json.RawMessage
	// allowed is the decision that must come out.
	allowed bool
	// denyBy is a Sid that must be among the matched denies, when denied.
	denyBy string
}

func instance(account, region string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", region, account, instanceID)
}

// document is a document's ARN. AWS-owned documents (AWS-*) carry no
// account in their ARN; the evaluator does not accept an empty account, and
// the policies' arn:aws:ssm:*:*:document/... patterns match both, so the
// caller's account stands in.
func document(account, region, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:document/%s", region, account, name)
}

func session(who caller, account, region, doc string, allowed bool, denyBy string) tcase {
	return tcase{who: who, action: "ssm:StartSession", region: region,
		resources: []string{instance(account, region), document(account, region, doc)}, allowed: allowed, denyBy: denyBy}
}

const (
	adminAccess = "AdministratorAccess"
	powerUser   = "PowerUserAccess"
	scpKey      = "scp"
)

// identityCenterTrust is the trust policy Identity Center gives every
// AWSReservedSSO_* role: its SAML provider may assume it and tag the
// session (the ABAC attributes become session tags).
func identityCenterTrust(account string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	"Principal":{"Federated":"arn:aws:iam::%s:saml-provider/AWSSSO_%s_DO_NOT_DELETE"},
	"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],
	"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, account, roleIDSuffix))
}

func cases() []tcase {
	stackSetExec := role(member, "stacksets-exec-5f1d2b3c4a5e6f7a8b9c0d1e2f3a4b5c", adminAccess)
	writerRole := role(member, "ssm-runas-prefs-writer-eu-west-1", adminAccess)
	memberAdmin := role(member, "Admin", adminAccess)
	doc := document(member, covered, "SSM-SessionManagerRunShell")
	writer := fmt.Sprintf("arn:aws:lambda:%s:%s:function:ssm-runas-prefs-writer", covered, member)
	writerRoleARN := "arn:aws:iam::" + member + ":role/ssm-runas-prefs-writer-eu-west-1"
	stack := fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/StackSet-ssm-runas-session-preferences-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/2b7c1d80-1a2b-11ef-9c3d-0a1b2c3d4e5f", covered, member)
	withTags := func(c tcase, keys ...string) tcase {
		c.context = map[string]any{"aws:TagKeys": keys}
		return c
	}
	one := func(hole, name string, who caller, action, resource string, allowed bool, denyBy string) tcase {
		return tcase{hole: hole, name: name, who: who, action: action, resources: []string{resource}, region: covered, allowed: allowed, denyBy: denyBy}
	}
	named := func(c tcase, hole, name string) tcase { c.hole, c.name = hole, name; return c }

	return []tcase{
		// What must keep working.
		named(session(sso(member, "SSM-Developer", "alice", tag("developer")), member, covered, "SSM-SessionManagerRunShell", true, ""),
			"works", "a developer with a valid tag in a covered region"),
		named(session(sso(member, "SSM-Admin", "bob", tag("admin")), member, "us-east-1", "SSM-SessionManagerRunShell", true, ""),
			"works", "an admin in another covered region"),
		named(session(sso(member, "SSM-Developer", "alice", tag("developer")), member, covered, "AWS-StartPortForwardingSession", true, ""),
			"works", "the allowed port-forwarding document"),
		named(session(sso(management, "SSM-Developer", "alice", tag("developer")), management, covered, "SSM-SessionManagerRunShell", true, ""),
			"works", "a session in the management account"),
		func() tcase {
			c := session(sso(member, "SSM-Oracle", "carol", tag("oracle")), member, covered, "SSM-SessionManagerRunShell", true, "")
			c.context = map[string]any{"ssm:resourceTag/workload": "oracle"}
			return named(c, "works", "oracle on an instance tagged workload=oracle")
		}(),
		named(session(sso(member, "SSM-Oracle", "carol", tag("oracle")), member, covered, "SSM-SessionManagerRunShell", false, ""),
			"works", "oracle's permission set reaches only instances tagged workload=oracle"),
		func() tcase {
			c := one("works", "ending one's own session", sso(member, "SSM-Developer", "alice", tag("developer")),
				"ssm:TerminateSession", fmt.Sprintf("arn:aws:ssm:%s:%s:session/alice-0a1b2c3d4e5f67890", covered, member), true, "")
			c.context = map[string]any{"ssm:resourceTag/aws:ssmmessages:session-id": "AROAEXAMPLEROLEID01:alice"}
			return c
		}(),
		one("works", "the console lists instances", sso(member, "SSM-Developer", "alice", tag("developer")),
			"ec2:DescribeInstances", "*", true, ""),
		func() tcase {
			c := one("works", "encrypting session data with the configured key", sso(member, "SSM-Developer", "alice", tag("developer")),
				"kms:GenerateDataKey", fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", covered, member), true, "")
			c.context = map[string]any{"kms:ResourceAliases": []string{"alias/ssm-sessions"}}
			// A key is usable only when its key policy says so; this is the
			// default key policy, which defers to IAM policies.
			c.trust = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
				member + `:root"},"Action":"kms:*","Resource":"*"}]}`)
			return c
		}(),
		one("works", "the StackSet execution role writes the document", stackSetExec, "ssm:UpdateDocument", doc, true, ""),
		one("works", "the writer's role writes the document", writerRole, "ssm:UpdateDocumentDefaultVersion", doc, true, ""),
		one("works", "the StackSet execution role invokes the writer (custom resource)", stackSetExec, "lambda:InvokeFunction", writer, true, ""),
		one("works", "the StackSet execution role updates the writer's code", stackSetExec, "lambda:UpdateFunctionCode", writer, true, ""),
		one("works", "the StackSet execution role passes the writer's role", stackSetExec, "iam:PassRole", writerRoleARN, true, ""),
		one("works", "the StackSet execution role deletes its stack", stackSetExec, "cloudformation:DeleteStack", stack, true, ""),
		one("works", "the pinned pipeline writes the document in its account", role(pipeline, "platform-pipeline", adminAccess),
			"ssm:UpdateDocument", document(pipeline, covered, "SSM-SessionManagerRunShell"), true, ""),
		one("works", "the remediation role writes the document", role(member, "ssm-runas-remediation", adminAccess), "ssm:UpdateDocument", doc, true, ""),
		withTags(one("works", "admins still tag roles with other keys", memberAdmin, "iam:TagRole", "arn:aws:iam::"+member+":role/app", true, ""), "team"),
		// Identity Center signs people in with AssumeRoleWithSAML, an
		// unsigned request: no IAM principal signs it, so aws:PrincipalARN
		// is absent, and the ABAC attributes arrive as session tags
		// (sts:TagSession under the role's trust policy). It never calls
		// iam:TagRole or iam:CreateRole with the tag, which is what the
		// SCP denies for IAM principals. Evaluated with the SCP in force,
		// so the sign-in is allowed even if SCPs applied to it.
		func() tcase {
			who := caller{arn: "arn:aws:iam::" + member + ":saml-provider/AWSSSO_" + roleIDSuffix + "_DO_NOT_DELETE", account: member}
			c := one("works", "Identity Center signs a person in with the Run As session tag", who, "sts:TagSession",
				"arn:aws:iam::"+member+":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SSM-Developer_"+roleIDSuffix, true, "")
			c.trust = identityCenterTrust(member)
			c.context = map[string]any{"aws:TagKeys": []string{"SSMSessionRunAs"}, "aws:RequestTag/SSMSessionRunAs": "developer",
				"SAML:aud": "https://signin.aws.amazon.com/saml"}
			return c
		}(),
		func() tcase {
			who := caller{arn: "arn:aws:iam::" + member + ":saml-provider/AWSSSO_" + roleIDSuffix + "_DO_NOT_DELETE", account: member}
			c := one("works", "Identity Center assumes the permission set's role", who, "sts:AssumeRoleWithSAML",
				"arn:aws:iam::"+member+":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SSM-Developer_"+roleIDSuffix, true, "")
			c.trust = identityCenterTrust(member)
			c.context = map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}
			return c
		}(),

		// 1. The tag's value.
		named(session(sso(member, "SSM-Developer", "mallory", tag("ec2-user")), member, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
			"1 tag value", "a stock account with passwordless sudo"),
		named(session(sso(member, "SSM-Developer", "mallory", tag("ssm-user")), member, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
			"1 tag value", "ssm-user"),
		named(session(sso(member, "SSM-Developer", "mallory", tag("ssm-revoked")), member, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
			"1 tag value", "a revoked value is not a role user"),
		named(session(sso(member, "SSM-Developer", "mallory", tag("admin ")), member, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
			"1 tag value", "a role user with trailing whitespace"),
		named(session(sso(member, "SSM-Developer", "mallory", nil), member, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
			"1 tag value", "no tag at all"),
		named(session(sso(management, "SSM-Developer", "mallory", tag("ubuntu")), management, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyRunAsOutsideRoleUsers),
			"1 tag value", "a stock account in the management account"),
		func() tcase {
			who := role(member, "tagged-before-the-scp", adminAccess)
			who.runAs = tag("ubuntu")
			return named(session(who, member, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyReservedRunAsUsers),
				"1 tag value", "any other role whose tag names a reserved user")
		}(),

		// 2. Regions without the preferences document.
		named(session(sso(member, "SSM-Developer", "alice", tag("developer")), member, uncovered, "SSM-SessionManagerRunShell", false, policy.SidDenyStartSessionOutsideRegions),
			"2 regions", "a valid tag in an uncovered region"),
		named(session(role(member, "Admin", adminAccess), member, uncovered, "SSM-SessionManagerRunShell", false, policy.SidDenyStartSessionOutsideRegions),
			"2 regions", "an account admin without a tag in an uncovered region"),
		named(session(sso(management, "SSM-Developer", "alice", tag("developer")), management, uncovered, "SSM-SessionManagerRunShell", false, policy.SidDenyStartSessionOutsideRegions),
			"2 regions", "an uncovered region in the management account"),

		// 3. Documents and other ways to run code.
		named(session(sso(member, "SSM-Developer", "alice", tag("developer"), powerUser), member, covered, "Home-Made-Shell-RunAs-Off", false, policy.SidDenyOtherSessionDocuments),
			"3 documents", "a home-made shell document, with PowerUserAccess on the same permission set"),
		named(session(sso(member, "SSM-Developer", "alice", tag("developer"), powerUser), member, covered, "AWS-StartSSHSession", false, policy.SidDenyOtherSessionDocuments),
			"3 documents", "SSH through Session Manager"),
		named(session(sso(member, "SSM-Developer", "alice", tag("developer"), powerUser), member, covered, "AWS-StartPortForwardingSessionToRemoteHost", false, policy.SidDenyOtherSessionDocuments),
			"3 documents", "port forwarding to another host"),
		one("3 documents", "Run Command as root, with PowerUserAccess on the same permission set", sso(member, "SSM-Developer", "alice", tag("developer"), powerUser),
			"ssm:SendCommand", instance(member, covered), false, policy.SidDenyRunningCommandsOnInstances),
		one("3 documents", "pushing an SSH key for ec2-user", sso(member, "SSM-Developer", "alice", tag("developer"), powerUser),
			"ec2-instance-connect:SendSSHPublicKey", instance(member, covered), false, policy.SidDenyRunningCommandsOnInstances),

		// 4. Around the SCP.
		one("4 SCP bypass", "an account admin changes the document", memberAdmin, "ssm:UpdateDocument", doc, false, policy.SidProtectSessionManagerPreferences),
		one("4 SCP bypass", "an account admin creates a role with the execution role's name", memberAdmin, "iam:CreateRole",
			"arn:aws:iam::"+member+":role/stacksets-exec-mine", false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "an account admin changes the execution role's trust", memberAdmin, "iam:UpdateAssumeRolePolicy",
			"arn:aws:iam::"+member+":role/stacksets-exec-5f1d2b3c4a5e6f7a8b9c0d1e2f3a4b5c", false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "an account admin creates a role with an exempt pipeline name", memberAdmin, "iam:CreateRole",
			"arn:aws:iam::"+member+":role/ssm-runas-remediation", false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "an account admin assumes the exempt remediation role", memberAdmin, "sts:AssumeRole",
			"arn:aws:iam::"+member+":role/ssm-runas-remediation", false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "a role named like the pinned pipeline in another account", role(otherAccount, "platform-pipeline", adminAccess),
			"ssm:UpdateDocument", document(otherAccount, covered, "SSM-SessionManagerRunShell"), false, policy.SidProtectSessionManagerPreferences),
		one("4 SCP bypass", "an account admin invokes the writer with a forged event", memberAdmin, "lambda:InvokeFunction", writer, false, policy.SidProtectPreferencesWriter),
		one("4 SCP bypass", "an account admin replaces the writer's code", memberAdmin, "lambda:UpdateFunctionCode", writer, false, policy.SidProtectPreferencesWriter),
		one("4 SCP bypass", "an account admin changes the writer's configuration", memberAdmin, "lambda:UpdateFunctionConfiguration", writer, false, policy.SidProtectPreferencesWriter),
		one("4 SCP bypass", "an account admin lets others invoke the writer", memberAdmin, "lambda:AddPermission", writer, false, policy.SidProtectPreferencesWriter),
		one("4 SCP bypass", "an account admin gives the writer's role more policies", memberAdmin, "iam:AttachRolePolicy", writerRoleARN, false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "an account admin changes the writer role's trust", memberAdmin, "iam:UpdateAssumeRolePolicy", writerRoleARN, false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "an account admin passes the writer's role to a function of their own", memberAdmin, "iam:PassRole", writerRoleARN, false, policy.SidProtectRunAsRoles),
		one("4 SCP bypass", "an account admin deletes the StackSet's stack", memberAdmin, "cloudformation:DeleteStack", stack, false, policy.SidProtectPreferencesStack),
		one("4 SCP bypass", "an account admin updates the StackSet's stack", memberAdmin, "cloudformation:UpdateStack", stack, false, policy.SidProtectPreferencesStack),

		// 5. Impersonation by tag.
		withTags(one("5 impersonation", "an account admin tags a role SSMSessionRunAs=alice", memberAdmin, "iam:TagRole",
			"arn:aws:iam::"+member+":role/app", false, policy.SidDenyRunAsTagOnIAMPrincipals), "SSMSessionRunAs"),
		withTags(one("5 impersonation", "an account admin creates a role with the tag", memberAdmin, "iam:CreateRole",
			"arn:aws:iam::"+member+":role/impostor", false, policy.SidDenyRunAsTagOnIAMPrincipals), "SSMSessionRunAs"),
		withTags(one("5 impersonation", "an account admin tags a user, spelling the key in lower case", memberAdmin, "iam:TagUser",
			"arn:aws:iam::"+member+":user/impostor", false, policy.SidDenyRunAsTagOnIAMPrincipals), "ssmsessionrunas"),
		withTags(one("5 impersonation", "an account admin assumes a role with the tag as a session tag", memberAdmin, "sts:TagSession",
			"arn:aws:iam::"+member+":role/app", false, policy.SidDenyRunAsSessionTags), "SSMSessionRunAs"),
	}
}

// documents are the emitted policies by key: "ps:<permission set>" for each
// role's permission-set policy and "scp" for the guardrail SCP.
func documents(t *testing.T, c *settings.Config) map[string]policy.Document {
	t.Helper()
	docs := map[string]policy.Document{}
	for _, r := range c.Roles {
		docs["ps:"+r.PermissionSet.Name] = policy.PermissionSetSessionPolicy(c.PermissionSetPolicyArgs(r))
	}
	scp, err := policy.GuardrailSCP(c.GuardrailSCPArgs())
	require.NoError(t, err)
	docs[scpKey] = scp
	return docs
}

// staticPolicies are AWS managed policies an attacker has.
var staticPolicies = map[string]string{
	// AdministratorAccess, as AWS publishes it.
	adminAccess: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	// PowerUserAccess's first statement, the one that grants SSM and EC2.
	powerUser: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`,
	// FullAWSAccess, the SCP Organizations attaches everywhere.
	"FullAWSAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
}

// requests turns the cases into evaluator requests, one per resource.
func requests(c []tcase, docs map[string]policy.Document) []iamsim.Request {
	var out []iamsim.Request
	full := iamsim.Policy{Name: "FullAWSAccess", Policy: json.RawMessage(staticPolicies["FullAWSAccess"])}
	scp := iamsim.Policy{Name: "ssm-runas-guardrail", Policy: json.RawMessage(docs[scpKey].JSON())}
	for i, tc := range c {
		var identity []iamsim.Policy
		for _, k := range tc.who.policies {
			if d, ok := docs[k]; ok {
				identity = append(identity, iamsim.Policy{Name: k, Policy: json.RawMessage(d.JSON())})
			} else {
				identity = append(identity, iamsim.Policy{Name: k, Policy: json.RawMessage(staticPolicies[k])})
			}
		}
		var scps []iamsim.OrgLevel
		if tc.who.account != management {
			scps = []iamsim.OrgLevel{
				{OrgIdentifier: "r-ab12", Policies: []iamsim.Policy{full}},
				{OrgIdentifier: "ou-a1b2-workloads1", Policies: []iamsim.Policy{full, scp}},
				{OrgIdentifier: tc.who.account, Policies: []iamsim.Policy{full}},
			}
		}
		ctx := map[string]any{"aws:RequestedRegion": tc.region, "aws:PrincipalAccount": tc.who.account}
		if tc.who.principalARN != "" {
			ctx["aws:PrincipalArn"] = tc.who.principalARN
			ctx["aws:userid"] = tc.who.userID
		}
		if tc.who.runAs != nil {
			ctx[policy.RunAsPrincipalTag] = *tc.who.runAs
		}
		for k, v := range tc.context {
			ctx[k] = v
		}
		for _, res := range tc.resources {
			acct := tc.who.account
			if parts := strings.Split(res, ":"); len(parts) > 4 && len(parts[4]) == 12 {
				acct = parts[4]
			}
			out = append(out, iamsim.Request{
				Name: fmt.Sprintf("%d", i), IdentityPolicies: identity, ServiceControlPolicies: scps,
				ResourcePolicy: tc.trust, Principal: tc.who.arn, Action: tc.action, Resource: res,
				ResourceAccount: acct, Context: ctx,
			})
		}
	}
	return out
}

type outcome = iamsim.Outcome

func decide(t *testing.T, c []tcase, docs map[string]policy.Document) []outcome {
	t.Helper()
	return decideMany(t, c, []map[string]policy.Document{docs})[0]
}

// decideMany evaluates the table against several sets of policies in one
// evaluator run.
func decideMany(t *testing.T, c []tcase, sets []map[string]policy.Document) [][]outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reqs := make([][]iamsim.Request, len(sets))
	for k, docs := range sets {
		reqs[k] = requests(c, docs)
	}
	out, err := iamsim.EvaluateSets(ctx, len(c), reqs)
	require.NoError(t, err)
	return out
}

func loadExample(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load(examplePath)
	require.NoError(t, err)
	return c
}

func TestGuardrailDecisions(t *testing.T) {
	require.NoError(t, iamsim.Check())
	c := loadExample(t)
	table := cases()
	got := decide(t, table, documents(t, c))
	for i, tc := range table {
		t.Run(tc.hole+"/"+tc.name, func(t *testing.T) {
			require.Empty(t, got[i].Errors, "the evaluator refused the request")
			assert.Equal(t, tc.allowed, got[i].Allowed, "denied by %v", got[i].Denies)
			if tc.denyBy != "" {
				assert.Contains(t, got[i].Denies, tc.denyBy)
			}
		})
	}
}

// TestEveryStatementMatters removes each statement of the emitted policies
// in turn: some case of the table must then decide differently, or the
// statement (or the table) is dead weight. A statement every permission set
// carries (they differ only in the instance tag condition) is removed from
// all of them at once, as a change to the policy builder would.
func TestEveryStatementMatters(t *testing.T) {
	require.NoError(t, iamsim.Check())
	c := loadExample(t)
	table := cases()
	docs := documents(t, c)
	base := decide(t, table, docs)

	type mutant struct{ policy, sid string }
	seen := map[mutant]bool{}
	var mutants []mutant
	for key, d := range docs {
		kind := "permission sets"
		if key == scpKey {
			kind = scpKey
		}
		for _, st := range d.Statement {
			m := mutant{kind, st.Sid}
			if !seen[m] {
				seen[m] = true
				mutants = append(mutants, m)
			}
		}
	}
	require.NotEmpty(t, mutants)
	sets := make([]map[string]policy.Document, len(mutants))
	for i, m := range mutants {
		cut := map[string]policy.Document{}
		for key, d := range docs {
			if (key == scpKey) != (m.policy == scpKey) {
				cut[key] = d
				continue
			}
			var kept []policy.Statement
			for _, st := range d.Statement {
				if st.Sid != m.sid {
					kept = append(kept, st)
				}
			}
			cut[key] = policy.Document{Version: d.Version, Statement: kept}
		}
		sets[i] = cut
	}
	results := decideMany(t, table, sets)
	for i, m := range mutants {
		t.Run(m.policy+"/"+m.sid, func(t *testing.T) {
			var flipped []string
			for j := range table {
				if results[i][j].Allowed != base[j].Allowed {
					flipped = append(flipped, table[j].name)
				}
			}
			assert.NotEmpty(t, flipped, "removing %s from the %s changes no decision of the table", m.sid, m.policy)
		})
	}
}
