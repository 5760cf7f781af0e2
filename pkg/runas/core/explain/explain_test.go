package explain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/explain"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func example(t testing.TB) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExplain(t *testing.T) {
	c := example(t)
	tests := []struct {
		name      string
		req       explain.Request
		linuxUser string // "" when no shell opens
		failure   explain.Failure
		// stepHas must appear in some step's rule or result.
		stepHas string
	}{
		{"one role group", explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "All-Staff"}},
			"developer", "", "member of one role group, SG-AWS-SSM-Developer"},
		{"two role groups: precedence", explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}},
			"admin", "", "the highest precedence wins, admin (1) over developer (3)"},
		{"two role groups, lower permission set picked", explain.Request{Groups: []string{"SG-AWS-SSM-Developer", "SG-AWS-SSM-Admin"}, PermissionSet: "SSM-Developer"},
			// Session tags are per user, not per permission set: the tag still says admin.
			"admin", "", "assigned to SG-AWS-SSM-Developer"},
		{"no role group", explain.Request{Groups: []string{"All-Staff"}},
			"", explain.NotAssigned, "the user is in none of SG-AWS-SSM-Admin"},
		{"permission set of another role", explain.Request{Groups: []string{"SG-AWS-SSM-Developer"}, PermissionSet: "SSM-Admin"},
			"", explain.NotAssigned, "SSM-Admin is assigned only to SG-AWS-SSM-Admin"},
		{"multi-valued attribute", explain.Request{AttributeValues: []string{"admin", "developer"}},
			"", explain.MultipleValues, "Identity Center rejects multi-valued attributes"},
		{"tag absent", explain.Request{AttributeValues: []string{}, PermissionSet: "SSM-Support"},
			"", explain.TagAbsent, "DenyStartSessionWithoutRunAsTag"},
		{"document not allowed", explain.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "AWS-StartInteractiveCommand"},
			"", explain.DocumentNotAllowed, "ssm:StartSession denied for AWS-StartInteractiveCommand"},
		{"run as off in the named document", explain.Request{Groups: []string{"SG-AWS-SSM-Support"}, Document: "AWS-StartPortForwardingSession"},
			"ssm-user", explain.RunAsOff, "has Run As off"},
		{"invalid name", explain.Request{AttributeValues: []string{"Alice Smith"}, PermissionSet: "SSM-Support"},
			"", explain.InvalidName, "refused: Alice Smith"},
		{"root", explain.Request{AttributeValues: []string{"root"}, PermissionSet: "SSM-Support"},
			"", explain.Root, "does not allow root"},
		{"user missing on host", explain.Request{AttributeValues: []string{"alice"}, PermissionSet: "SSM-Support"},
			"", explain.UserMissing, "failed to start pty since RunAs user alice does not exist"},
		{"per-user: own account on the host", explain.Request{AttributeValues: []string{"alice"}, HostUsers: []string{"alice", "bob"}},
			"alice", "", "exists among the given host users"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.User = "alice@corp.example"
			res, err := explain.Explain(c, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if res.LinuxUser != nil {
				got = *res.LinuxUser
			}
			var failure explain.Failure
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
	for name, req := range map[string]explain.Request{
		"no user":         {Groups: []string{}},
		"both":            {User: "a", Groups: []string{}, AttributeValues: []string{"x"}},
		"neither":         {User: "a"},
		"bad host user":   {User: "a", Groups: []string{}, HostUsers: []string{"$(id)"}},
		"root host user?": {User: "a", Groups: []string{}, HostUsers: []string{"root"}},
	} {
		if _, err := explain.Explain(c, req); err == nil {
			t.Errorf("%s: want an error", name)
		}
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
