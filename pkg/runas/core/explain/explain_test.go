package explain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/explain"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func example(t testing.TB) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	return c
}

// perUser is the example read as the per-user model: no role users, so the
// reserved list and the tag's presence decide.
func perUser(t testing.TB, reserved ...string) *settings.Config {
	c := example(t)
	c.Model = settings.ModelPerUser
	if reserved != nil {
		c.Guardrail.ReservedUsers = reserved
	}
	return c
}

// withShellRunAsOff allows, acknowledged, a home-made shell document with
// Run As off.
func withShellRunAsOff(t testing.TB) *settings.Config {
	c := example(t)
	c.IdentityCenter.AllowedSessionDocuments = append(c.IdentityCenter.AllowedSessionDocuments,
		settings.SessionDocument{Name: "Corp-Shell", AcknowledgeRisk: true})
	return c
}

// brokered is the per-permission-set example: the session broker serves
// SSM-Admin and SSM-Developer; SSM-Oracle and SSM-Support stay direct.
func brokered(t testing.TB) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	return c
}

type tcase struct {
	name      string
	c         *settings.Config
	req       explain.Request
	linuxUser string // "" when no shell opens
	failure   explain.Failure
	// stepHas must appear in some step's rule or result.
	stepHas string
}

func TestExplain(t *testing.T) {
	c := example(t)
	tests := []tcase{
		{"one role group", c, explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "All-Staff"}},
			"developer", "", "member of one role group, SG-AWS-SSM-Developer"},
		{"two role groups: precedence", c, explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}},
			"admin", "", "the highest precedence wins, admin (1) over developer (3)"},
		{"two role groups, lower permission set picked", c, explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}, PermissionSet: "SSM-Developer"},
			// Session tags are per user, not per permission set: the tag still says admin.
			"admin", "", "assigned to SG-AWS-SSM-Developer"},
		{"no role group", c, explain.Request{Groups: []string{"All-Staff"}},
			"", explain.NotAssigned, "the user is in none of SG-AWS-SSM-Admin"},
		{"group named in another case", c, explain.Request{Groups: []string{"sg-aws-ssm-oracle"}},
			"oracle", "", "member of one role group, SG-AWS-SSM-Oracle"},
		{"permission set of another role", c, explain.Request{Groups: []string{"SG-AWS-SSM-Developer"}, PermissionSet: "SSM-Admin"},
			"", explain.NotAssigned, "SSM-Admin is assigned only to SG-AWS-SSM-Admin"},
		{"multi-valued attribute", c, explain.Request{AttributeValues: []string{"admin", "developer"}},
			"", explain.MultipleValues, "Identity Center rejects multi-valued attributes"},
		{"tag absent", c, explain.Request{AttributeValues: []string{}, PermissionSet: "SSM-Support"},
			"", explain.TagAbsent, "DenyRunAsOutsideRoleUsers: no SSMSessionRunAs tag"},
		{"document not allowed", c, explain.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "AWS-StartInteractiveCommand"},
			"", explain.DocumentNotAllowed, "ssm:StartSession denied for AWS-StartInteractiveCommand"},
		{"port forwarding opens no shell", c, explain.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "AWS-StartPortForwardingSession"},
			"", explain.NoShell, "forwards a port of the instance and opens no shell"},
		{"run as off in the named document", withShellRunAsOff(t), explain.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "Corp-Shell"},
			"ssm-user", explain.RunAsOff, "has Run As off: sessions open as ssm-user"},
		{"stored value with trailing whitespace", c, explain.Request{AttributeValues: []string{"admin "}},
			"", explain.NotRoleUser, `"admin " is not a role user (admin, developer, oracle, support); the stored value holds whitespace`},
		{"a revoked value, no permission set given", c, explain.Request{AttributeValues: []string{"ssm-revoked"}},
			"", explain.NotRoleUser, `DenyRunAsOutsideRoleUsers (the same in every ssm-runas permission set): "ssm-revoked" is not a role user`},
		{"a value naming a stock account", c, explain.Request{AttributeValues: []string{"ec2-user"}},
			"", explain.Reserved, `SCP DenyReservedRunAsUsers: "ec2-user" is a reserved account`},
		{"a name that is no role user", c, explain.Request{AttributeValues: []string{"Alice Smith"}, PermissionSet: "SSM-Support"},
			"", explain.NotRoleUser, `"Alice Smith" is not a role user`},
		{"root", c, explain.Request{AttributeValues: []string{"root"}, PermissionSet: "SSM-Support"},
			"", explain.Reserved, "is a reserved account"},
		{"region without the document", c, explain.Request{Groups: []string{"SG-AWS-SSM-Developer"}, Region: "ap-southeast-2"},
			"", explain.RegionNotCovered, "SCP DenyStartSessionOutsideRegions: ap-southeast-2 has no preferences document"},
		{"covered region", c, explain.Request{Groups: []string{"SG-AWS-SSM-Developer"}, Region: "us-east-1"},
			"developer", "", "region us-east-1 covered"},
		{"value without groups or permission set", c, explain.Request{AttributeValues: []string{"developer"}},
			"developer", "", "assignments are not known without the person's groups"},
		{"broker: a served permission set starts no direct session", brokered(t), explain.Request{Groups: []string{"SG-AWS-SSM-Admin"}},
			"", explain.BrokerOnly, "DenyDirectStartSession: the session broker serves SSM-Admin"},
		{"broker: a served permission set picked by name", brokered(t), explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Support"}, PermissionSet: "SSM-Developer"},
			"", explain.BrokerOnly, "ssm:StartSession denied"},
		{"broker: a permission set it does not serve stays direct", brokered(t), explain.Request{Groups: []string{"SG-AWS-SSM-Support"}},
			"support", "", "ssm:StartSession allowed"},
		{"per-user: own account on the host", perUser(t), explain.Request{AttributeValues: []string{"alice"}, HostUsers: []string{"alice", "bob"}},
			"alice", "", "exists among the given host users"},
		{"per-user: user missing on host", perUser(t), explain.Request{AttributeValues: []string{"alice"}, HostUsers: []string{"bob"}},
			"", explain.UserMissing, "failed to start pty since RunAs user alice does not exist"},
		{"per-user: no tag", perUser(t), explain.Request{AttributeValues: []string{}},
			"", explain.TagAbsent, "DenyStartSessionWithoutRunAsTag"},
		{"per-user: reserved", perUser(t), explain.Request{AttributeValues: []string{"ubuntu"}},
			"", explain.Reserved, "is a reserved account"},
		{"per-user: invalid name", perUser(t), explain.Request{AttributeValues: []string{"alice "}, HostUsers: []string{"alice"}},
			"", explain.InvalidName, `refused: "alice "`},
		{"per-user: root when not reserved", perUser(t, "ubuntu"), explain.Request{AttributeValues: []string{"root"}},
			"", explain.Root, "does not allow root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.User = "alice@corp.example"
			res, err := explain.Explain(tc.c, tc.req)
			require.NoError(t, err)
			got := ""
			if res.LinuxUser != nil {
				got = *res.LinuxUser
			}
			var failure explain.Failure
			if res.Failure != nil {
				failure = *res.Failure
			}
			assert.Equal(t, tc.linuxUser, got, trace(res))
			assert.Equal(t, tc.failure, failure, trace(res))
			assert.Contains(t, trace(res), tc.stepHas)
			assert.Equal(t, tc.linuxUser != "", res.Opens())
			assert.Equal(t, tc.linuxUser != "" && tc.failure == "", res.OK())
		})
	}
}

func TestExplainRefusesBadRequests(t *testing.T) {
	c := example(t)
	for name, req := range map[string]explain.Request{
		"no user":         {Groups: []string{}},
		"both":            {User: "a", Groups: []string{}, AttributeValues: []string{"x"}},
		"neither":         {User: "a"},
		"bad host user":   {User: "a", Groups: []string{}, HostUsers: []string{"$(id)"}},
		"root host user?": {User: "a", Groups: []string{}, HostUsers: []string{"root"}},
	} {
		_, err := explain.Explain(c, req)
		assert.Error(t, err, name)
	}
}

func trace(r explain.Result) string {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%s: %s => %s\n", s.Step, s.Rule, s.Result)
	}
	return b.String()
}

func ExampleExplain() {
	c, _ := settings.Load("../../../../examples/per-role/runas.yaml")
	res, _ := explain.Explain(c, explain.Request{User: "alice@corp.example", Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}})
	fmt.Println(*res.LinuxUser)
	fmt.Println(res.Steps[0].Rule)
	// Output:
	// admin
	// member of 2 role groups: the highest precedence wins, admin (1) over developer (3)
}
