package resolve_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/config"
	"github.com/ssm-runas/ssm-runas/pkg/runas/resolve"
)

func example(t testing.TB) *config.Config {
	t.Helper()
	c, err := config.Load("../../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExplain(t *testing.T) {
	c := example(t)
	tests := []struct {
		name      string
		req       resolve.Request
		linuxUser string // "" when no shell opens
		failure   resolve.Failure
		// stepHas must appear in some step's rule or result.
		stepHas string
	}{
		{"one role group", resolve.Request{Groups: []string{"SG-AWS-SSM-Developer", "All-Staff"}},
			"developer", "", "member of one role group, SG-AWS-SSM-Developer"},
		{"two role groups: precedence", resolve.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}},
			"admin", "", "the highest precedence wins, admin (1) over developer (3)"},
		{"two role groups, lower permission set picked", resolve.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}, PermissionSet: "SSM-Developer"},
			// Session tags are per user, not per permission set: the tag still says admin.
			"admin", "", "assigned to SG-AWS-SSM-Developer"},
		{"no role group", resolve.Request{Groups: []string{"All-Staff"}},
			"", resolve.NotAssigned, "the user is in none of SG-AWS-SSM-Admin"},
		{"permission set of another role", resolve.Request{Groups: []string{"SG-AWS-SSM-Developer"}, PermissionSet: "SSM-Admin"},
			"", resolve.NotAssigned, "SSM-Admin is assigned only to SG-AWS-SSM-Admin"},
		{"multi-valued attribute", resolve.Request{AttributeValues: []string{"admin", "developer"}},
			"", resolve.MultipleValues, "Identity Center rejects multi-valued attributes"},
		{"tag absent", resolve.Request{AttributeValues: []string{}, PermissionSet: "SSM-Support"},
			"", resolve.TagAbsent, "DenyStartSessionWithoutRunAsTag"},
		{"document not allowed", resolve.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "AWS-StartInteractiveCommand"},
			"", resolve.DocumentNotAllowed, "ssm:StartSession denied for AWS-StartInteractiveCommand"},
		{"run as off in the named document", resolve.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "AWS-StartPortForwardingSession"},
			"ssm-user", resolve.RunAsOff, "has Run As off"},
		{"invalid name", resolve.Request{AttributeValues: []string{"Alice Smith"}, PermissionSet: "SSM-Support"},
			"", resolve.InvalidName, "refused: Alice Smith"},
		{"root", resolve.Request{AttributeValues: []string{"root"}, PermissionSet: "SSM-Support"},
			"", resolve.Root, "does not allow root"},
		{"user missing on host", resolve.Request{AttributeValues: []string{"alice"}, PermissionSet: "SSM-Support"},
			"", resolve.UserMissing, "failed to start pty since RunAs user alice does not exist"},
		{"per-user: own account on the host", resolve.Request{AttributeValues: []string{"alice"}, HostUsers: []string{"alice", "bob"}},
			"alice", "", "exists among the given host users"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.User = "alice@corp.example"
			res, err := resolve.Explain(c, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if res.LinuxUser != nil {
				got = *res.LinuxUser
			}
			var failure resolve.Failure
			if res.Failure != nil {
				failure = *res.Failure
			}
			if got != tc.linuxUser || failure != tc.failure {
				t.Fatalf("linux user %q failure %q, want %q %q\n%s", got, failure, tc.linuxUser, tc.failure, trace(res))
			}
			if !strings.Contains(trace(res), tc.stepHas) {
				t.Fatalf("no step says %q:\n%s", tc.stepHas, trace(res))
			}
			if res.Opens() != (tc.linuxUser != "") {
				t.Fatalf("Opens() = %v", res.Opens())
			}
		})
	}
}

func TestExplainRefusesBadRequests(t *testing.T) {
	c := example(t)
	for name, req := range map[string]resolve.Request{
		"no user":         {Groups: []string{}},
		"both":            {User: "a", Groups: []string{}, AttributeValues: []string{"x"}},
		"neither":         {User: "a"},
		"bad host user":   {User: "a", Groups: []string{}, HostUsers: []string{"$(id)"}},
		"root host user?": {User: "a", Groups: []string{}, HostUsers: []string{"root"}},
	} {
		if _, err := resolve.Explain(c, req); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func trace(r resolve.Result) string {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%s: %s => %s\n", s.Step, s.Rule, s.Result)
	}
	return b.String()
}

func ExampleExplain() {
	c, _ := config.Load("../../../examples/per-role/runas.yaml")
	res, _ := resolve.Explain(c, resolve.Request{User: "alice@corp.example", Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}})
	fmt.Println(*res.LinuxUser)
	fmt.Println(res.Steps[0].Rule)
	// Output:
	// admin
	// member of 2 role groups: the highest precedence wins, admin (1) over developer (3)
}
