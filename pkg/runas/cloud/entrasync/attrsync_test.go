package entrasync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/entrasync"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

const attr = "extensionAttribute1"

var roles = []entrasync.Role{
	{Name: "admin", Group: "SG-Admin", Value: "admin", Precedence: 1},
	{Name: "developer", Group: "SG-Dev", Value: "developer", Precedence: 3},
	{Name: "support", Group: "SG-Support", Value: "support", Precedence: 4},
}

func run(t *testing.T, g *fakegraph.Server, rs []entrasync.Role, apply bool) entrasync.Plan {
	t.Helper()
	c, err := graph.New(g.BaseURL(), graph.StaticToken("t"), graph.Options{Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in, err := entrasync.Gather(ctx, c, attr, "ssm-revoked", rs)
	if err != nil {
		t.Fatal(err)
	}
	p := entrasync.Compute(in)
	if apply {
		if failed := entrasync.Apply(ctx, c, attr, p); len(failed) > 0 {
			t.Fatalf("apply failed: %+v", failed)
		}
	}
	return p
}

func directory(t *testing.T) *fakegraph.Server {
	g := fakegraph.New(t)
	g.AddUser("u1", "alice@corp.example", false, "")        // developer
	g.AddUser("u2", "bob@corp.example", false, "developer") // admin and developer
	g.AddUser("u3", "carol@corp.example", false, "admin")   // lost every role
	g.AddUser("u4", "dave@corp.example", false, "ssm-revoked")
	g.AddUser("u5", "erin@corp.example", false, "support") // already right
	g.SetGroup("SG-Admin", "u2")
	g.SetGroup("SG-Dev", "u1", "u2")
	g.SetGroup("SG-Support", "u5")
	return g
}

func TestSync(t *testing.T) {
	g := directory(t)
	g.Throttle = 1 // the first call is throttled and retried
	p := run(t, g, roles, false)
	want := map[string]string{
		"alice@corp.example": "->developer (role developer)",
		"bob@corp.example":   "developer->admin (role admin (precedence 1) over 1 other role(s))",
		"carol@corp.example": "admin->ssm-revoked (in no role group: revoked (Identity Center keeps cleared values))",
	}
	if len(p.Changes) != len(want) || len(p.Problems) != 0 || p.Unchanged != 2 {
		t.Fatalf("plan %+v", p)
	}
	for _, c := range p.Changes {
		if got := c.From + "->" + c.To + " (" + c.Reason + ")"; got != want[c.UPN] {
			t.Errorf("%s: %s, want %s", c.UPN, got, want[c.UPN])
		}
	}
	if g.Patches != 0 {
		t.Fatal("a dry run wrote")
	}

	run(t, g, roles, true)
	for id, v := range map[string]string{"u1": "developer", "u2": "admin", "u3": "ssm-revoked", "u4": "ssm-revoked", "u5": "support"} {
		if got := g.Attribute(id); got != v {
			t.Errorf("%s holds %q, want %q", id, got, v)
		}
	}
	if g.Patches != 3 {
		t.Fatalf("%d writes, want 3", g.Patches)
	}

	second := run(t, g, roles, true)
	if len(second.Changes) != 0 || g.Patches != 3 || second.Unchanged != 5 {
		t.Fatalf("a second run must write nothing: %+v, %d writes", second, g.Patches)
	}
}

func TestSyncReportsWhatItWillNotDecide(t *testing.T) {
	g := directory(t)
	g.AddUser("u6", "frank@corp.example", true, "") // synced from AD
	g.SetGroup("SG-Dev", "u1", "u2", "u6")
	g.SetGroup("SG-Oracle", "u1")
	g.SetGroup("SG-Bad", "u5")
	rs := append(append([]entrasync.Role{}, roles...),
		entrasync.Role{Name: "oracle", Group: "SG-Oracle", Value: "oracle", Precedence: 3}, // same as developer
		entrasync.Role{Name: "bad", Group: "SG-Bad", Value: "Bad Name!", Precedence: 9},
	)
	p := run(t, g, rs, false)
	var problems []string
	for _, pr := range p.Problems {
		problems = append(problems, pr.UPN+": "+pr.Problem)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		`role bad: value "Bad Name!" is not a valid Run As user name`,
		`alice@corp.example: roles developer and oracle share precedence 3`,
		`frank@corp.example: synced from on-premises AD: set extensionAttribute1 to "developer" there`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	for _, c := range p.Changes {
		if c.UPN == "alice@corp.example" || c.UPN == "frank@corp.example" {
			t.Errorf("a conflict or synced user must not be written: %+v", c)
		}
	}
}
