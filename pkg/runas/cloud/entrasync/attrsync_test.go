package entrasync_test

// Microsoft Graph has no emulator: internal/fakegraph answers the few
// endpoints the sync uses in Graph's documented shapes.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

func newClient(t *testing.T, g *fakegraph.Server) *graph.Client {
	t.Helper()
	c, err := graph.New(g.BaseURL(), graph.StaticToken("t"), graph.Options{Sleep: func(context.Context, time.Duration) error { return nil }})
	require.NoError(t, err)
	return c
}

func run(t *testing.T, g *fakegraph.Server, rs []entrasync.Role, apply bool) entrasync.Plan {
	t.Helper()
	c := newClient(t, g)
	ctx := context.Background()
	in, err := entrasync.Gather(ctx, c, attr, "ssm-revoked", rs)
	require.NoError(t, err)
	p := entrasync.Compute(in)
	if apply {
		written, failed := entrasync.Apply(ctx, c, attr, p)
		require.Empty(t, failed, "apply failed")
		require.Equal(t, len(p.Changes), written)
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

func summary(p entrasync.Plan) map[string]string {
	out := map[string]string{}
	for _, c := range p.Changes {
		out[c.UPN] = c.From + "->" + c.To + " (" + c.Reason + ")"
	}
	return out
}

func TestSync(t *testing.T) {
	g := directory(t)
	g.Throttle = 1 // the first call is throttled and retried
	p := run(t, g, roles, false)
	assert.Equal(t, map[string]string{
		"alice@corp.example": "->developer (role developer)",
		"bob@corp.example":   "developer->admin (role admin (precedence 1) over 1 other role(s))",
		"carol@corp.example": "admin->ssm-revoked (in no role group: revoked (Identity Center keeps cleared values))",
	}, summary(p))
	assert.Empty(t, p.Problems)
	assert.Equal(t, 2, p.Unchanged)
	assert.Zero(t, g.Patches, "a dry run wrote")

	run(t, g, roles, true)
	for id, v := range map[string]string{"u1": "developer", "u2": "admin", "u3": "ssm-revoked", "u4": "ssm-revoked", "u5": "support"} {
		assert.Equal(t, v, g.Attribute(id), id)
	}
	assert.Equal(t, 3, g.Patches)

	second := run(t, g, roles, true)
	assert.Empty(t, second.Changes, "a second run must write nothing")
	assert.Equal(t, 3, g.Patches)
	assert.Equal(t, 5, second.Unchanged)
}

// TestNestedGroupsDoNotEscalate: Entra provisioning carries direct group
// members only, so Identity Center gives frank (nested in SG-Admin through
// SG-Admin-Ops, directly in SG-Dev) the developer permission set. His Run
// As value must be developer, not admin with its sudo rules. gina is only
// nested in SG-Admin: for provisioning she is in no role group.
func TestNestedGroupsDoNotEscalate(t *testing.T) {
	g := directory(t)
	g.AddUser("u6", "frank@corp.example", false, "")
	g.AddUser("u7", "gina@corp.example", false, "admin")
	g.SetGroup("SG-Admin-Ops", "u6", "u7")
	g.NestGroup("SG-Admin", "SG-Admin-Ops")
	g.SetGroup("SG-Dev", "u1", "u2", "u6")

	p := run(t, g, roles, true)
	got := summary(p)
	assert.Equal(t, "->developer (role developer)", got["frank@corp.example"])
	assert.Equal(t, "admin->ssm-revoked (in no role group: revoked (Identity Center keeps cleared values))", got["gina@corp.example"])
	assert.Equal(t, "developer", g.Attribute("u6"))
	assert.Equal(t, "ssm-revoked", g.Attribute("u7"))
}

// TestSyncLeavesOtherUsesAlone: the attribute may carry values for other
// purposes (a cost centre, say). People in no role group keep those; only
// role accounts are revoked. A role member's foreign value is replaced,
// and the reason says so.
func TestSyncLeavesOtherUsesAlone(t *testing.T) {
	g := directory(t)
	g.AddUser("u8", "hana@corp.example", false, "CC-4711")
	g.AddUser("u9", "ivan@corp.example", false, "Bad Value!")
	g.AddUser("u10", "jo@corp.example", false, "cc-0815")
	g.SetGroup("SG-Support", "u5", "u10")

	p := run(t, g, roles, false)
	assert.ElementsMatch(t, []entrasync.ForeignValue{
		{UserID: "u8", UPN: "hana@corp.example", Value: "CC-4711"},
		{UserID: "u9", UPN: "ivan@corp.example", Value: "Bad Value!"},
	}, p.Foreign)
	assert.Equal(t, `cc-0815->support (role support; replaces "cc-0815", which is not a role account)`, summary(p)["jo@corp.example"])

	run(t, g, roles, true)
	assert.Equal(t, "CC-4711", g.Attribute("u8"))
	assert.Equal(t, "Bad Value!", g.Attribute("u9"))
	assert.Equal(t, "ssm-revoked", g.Attribute("u3"), "a role account's value is still revoked")
	assert.Equal(t, 4, g.Patches)
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
		assert.Contains(t, all, want)
	}
	for _, c := range p.Changes {
		assert.NotContains(t, []string{"alice@corp.example", "frank@corp.example"}, c.UPN, "a conflict or synced user must not be written: %+v", c)
	}
}

func TestGatherUnknownGroup(t *testing.T) {
	g := directory(t)
	_, err := entrasync.Gather(context.Background(), newClient(t, g), attr, "ssm-revoked",
		[]entrasync.Role{{Name: "oracle", Group: "SG-Missing", Value: "oracle", Precedence: 2}})
	assert.ErrorContains(t, err, `role oracle: group "SG-Missing": no group has that display name`)
	assert.ErrorIs(t, err, graph.ErrGroupNotFound)
}

// recorder is a Writer that records writes; it stands in for Graph where
// the test is about Apply's own bookkeeping, not about Graph.
type recorder struct{ ids []string }

func (r *recorder) SetExtensionAttribute(_ context.Context, userID, _, _ string) error {
	r.ids = append(r.ids, userID)
	if userID == "u-synced" {
		return errors.New("HTTP 400 Request_BadRequest")
	}
	return nil
}

func TestApplyStopsWhenTheContextEnds(t *testing.T) {
	plan := entrasync.Plan{Changes: []entrasync.Change{
		{UserID: "u1", UPN: "alice@corp.example", To: "developer"},
		{UserID: "u-synced", UPN: "frank@corp.example", To: "developer"},
		{UserID: "u3", UPN: "carol@corp.example", To: "ssm-revoked"},
	}}
	r := &recorder{}
	written, failed := entrasync.Apply(context.Background(), r, attr, plan)
	assert.Equal(t, 2, written)
	require.Len(t, failed, 1)
	assert.Equal(t, "frank@corp.example", failed[0].UPN)

	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("--timeout 1s reached"))
	r = &recorder{}
	written, failed = entrasync.Apply(ctx, r, attr, plan)
	assert.Zero(t, written)
	assert.Empty(t, r.ids, "nothing is written after the context ended")
	assert.Equal(t, []entrasync.Problem{{Problem: "stopped before writing 3 more change(s): --timeout 1s reached"}}, failed)
}
