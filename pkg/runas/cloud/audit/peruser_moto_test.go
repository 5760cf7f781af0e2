package audit_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Groups of the per-user example, and one more whose permission set was
// never made.
const (
	linuxUsers  = "SG-AWS-SSM-Linux-Users"
	dbOperators = "SG-AWS-SSM-DB-Operators"
	unmade      = "SG-AWS-SSM-Unmade"
)

// perUserWorld is an organization, Identity Center (permission sets,
// account assignments, identity store users and groups) on moto_server,
// and the per-user example configured for it.
type perUserWorld struct {
	factory *awsorg.Factory
	org     orgseed.Org
	cfg     *settings.Config
	// userID maps the identity store user name to its id.
	userID map[string]string
}

// person is one person as both sides hold them: the value Identity Center
// keeps (moto's identity store keeps no extensions, so the test reads it
// from ${path:title}; the enterprise path is covered by TestAttributeValue)
// and the Entra source attribute, with group memberships on each side.
type person struct {
	upn        string
	icValue    string
	icGroups   []string
	entra      bool // an Entra user exists
	entraValue string
	// entraGroups are the Entra groups the person is a direct member of.
	entraGroups []string
}

// people covers every case of the stale value check.
var people = []person{
	{"alice@corp.example", "alice", []string{linuxUsers}, true, "Alice", []string{linuxUsers}},            // lower(Alice): current
	{"bob@corp.example", "bob", []string{linuxUsers}, true, "", []string{linuxUsers}},                     // cleared in Entra: stale
	{"carol@corp.example", "carol", []string{linuxUsers}, true, "CJones", []string{linuxUsers}},           // renamed in AD: stale
	{"dave@corp.example", "", []string{linuxUsers}, true, "dave", []string{linuxUsers}},                   // no value yet: value-missing only
	{"erin@corp.example", "erin", []string{linuxUsers}, true, "", nil},                                    // left the Entra group, membership kept: read alone, stale
	{"frank@corp.example", "frank", []string{dbOperators}, false, "", nil},                                // gone from Entra
	{"grace@corp.example", "grace", nil, true, "", nil},                                                   // no assignment: not checked
	{"heidi@corp.example", "heidi", []string{dbOperators}, true, "heidi", []string{dbOperators}},          // current
	{"ivan@corp.example", "ivan", []string{linuxUsers, dbOperators}, true, "IVAN", []string{dbOperators}}, // current, in both
}

// wantStale are the stale check's findings for people.
var wantStale = []string{
	"value-stale bob@corp.example",
	"value-stale carol@corp.example",
	"value-stale erin@corp.example",
	"entra-user-missing frank@corp.example",
}

func seedPerUser(t *testing.T, srv *motoserver.Server) *perUserWorld {
	t.Helper()
	ctx := motoserver.Context(t)
	f := awsorg.NewFactory(srv.Config("eu-west-1"), "123456789012", awsorg.FactoryOptions{})
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{Accounts: 4, OUs: 2})
	require.NoError(t, err)
	// Accounts 0 and 2 are in OU 0, 1 and 3 in OU 1.
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	c.IdentityCenter.RunAsSource = "${path:title}"
	c.Organization.ID, c.Organization.ManagementAccountID = org.ID, org.ManagementAccount
	c.Organization.Targets, c.Organization.Regions = []string{org.OUs[0]}, []string{"eu-west-1"}
	c.PerUser.PermissionSets = []settings.PerUserAccess{
		{EntraGroup: linuxUsers, PermissionSet: settings.PermissionSet{Name: "SSM-PerUser"}, Assignments: []string{org.OUs[0]}},
		{EntraGroup: dbOperators, PermissionSet: settings.PermissionSet{Name: "SSM-PerUser-DB"}, Assignments: []string{org.Accounts[1]}},
		{EntraGroup: dbOperators, PermissionSet: settings.PermissionSet{ARN: "arn:aws:sso:::permissionSet/ssoins-72230e1a2b3c4d5e/ps-0000000000000000"}, Assignments: []string{org.Accounts[1]}},
		{EntraGroup: unmade, PermissionSet: settings.PermissionSet{Name: "SSM-PerUser-Unmade"}, Assignments: []string{org.Accounts[3]}},
	}
	w := &perUserWorld{factory: f, org: org, cfg: c, userID: map[string]string{}}

	ids := f.IdentityStore(c.IdentityCenter.Region)
	store := aws.String(c.IdentityCenter.IdentityStoreID)
	group := map[string]string{}
	for _, g := range []string{linuxUsers, dbOperators, unmade} {
		out, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String(g)})
		require.NoError(t, err)
		group[g] = aws.ToString(out.GroupId)
	}
	for _, p := range people {
		in := &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String(p.upn),
			DisplayName: aws.String(p.upn), Name: &idstypes.Name{GivenName: aws.String(p.upn), FamilyName: aws.String("Example")}}
		if p.icValue != "" {
			in.Title = aws.String(p.icValue)
		}
		out, err := ids.CreateUser(ctx, in)
		require.NoError(t, err)
		w.userID[p.upn] = aws.ToString(out.UserId)
		for _, g := range p.icGroups {
			_, err := ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store,
				GroupId: aws.String(group[g]), MemberId: &idstypes.MemberIdMemberUserId{Value: w.userID[p.upn]}})
			require.NoError(t, err)
		}
	}

	// Permission sets and assignments as a deployment left them, then the
	// organization moved on: account 2 joined OU 0 after the last deploy
	// (missing), and account 1 was dropped from the Linux users'
	// assignments (unwanted). The DB operators are as configured.
	admin := f.SSOAdmin(c.IdentityCenter.Region)
	instance := aws.String(c.IdentityCenter.InstanceARN)
	for _, a := range []struct {
		group, permissionSet string
		accounts             []int
	}{
		{linuxUsers, "SSM-PerUser", []int{0, 1}},
		{dbOperators, "SSM-PerUser-DB", []int{1}},
	} {
		// SessionDuration is given: moto answers its default as a number,
		// which the SDK refuses.
		ps, err := admin.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: instance, Name: aws.String(a.permissionSet), SessionDuration: aws.String("PT8H")})
		require.NoError(t, err)
		for _, i := range a.accounts {
			_, err := admin.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: instance,
				PermissionSetArn: ps.PermissionSet.PermissionSetArn, PrincipalId: aws.String(group[a.group]), PrincipalType: ssotypes.PrincipalTypeGroup,
				TargetId: aws.String(org.Accounts[i]), TargetType: ssotypes.TargetTypeAwsAccount})
			require.NoError(t, err)
		}
	}
	return w
}

// entraFor starts a Graph stand-in holding people's source attribute
// (Microsoft Graph has no emulator; internal/fakegraph answers in its
// documented shapes, including 404 for an unknown user and only the
// $select-ed properties) and returns a client for it. Entra has every
// configured group, or only groups when given.
func entraFor(t *testing.T, source string, groups ...string) (*fakegraph.Server, *graph.Client) {
	t.Helper()
	if groups == nil {
		groups = []string{linuxUsers, dbOperators, unmade}
	}
	fg := fakegraph.New(t)
	members := map[string][]string{}
	for i, p := range people {
		if !p.entra {
			continue
		}
		id := "00000000-0000-4000-8000-00000000000" + string(rune('a'+i))
		fg.AddUser(id, p.upn, true, "")
		fg.SetAttribute(id, "mailNickname", "mail-"+p.icValue) // never the source unless chosen below
		fg.SetAttribute(id, source, p.entraValue)
		for _, g := range p.entraGroups {
			members[g] = append(members[g], id)
		}
	}
	for _, g := range groups {
		fg.SetGroup(g, members[g]...)
	}
	gc, err := graph.New(fg.BaseURL(), graph.StaticToken("test-token"), graph.Options{})
	require.NoError(t, err)
	return fg, gc
}

// TestPerUserAgainstMoto runs the per-user Identity Center checks on one
// moto_server: account assignments of the per-user permission sets, and
// stale values against the Entra side.
func TestPerUserAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	w := seedPerUser(t, srv)
	ctx := motoserver.Context(t)
	c := w.cfg
	ids := w.factory.IdentityStore(c.IdentityCenter.Region)

	t.Run("assignments", func(t *testing.T) {
		// ssoadmin's permission sets and account assignments are moto's.
		got, err := audit.CheckAssignments(ctx, w.factory.SSOAdmin(c.IdentityCenter.Region), ids, w.factory.Organizations(), c)
		require.NoError(t, err)
		existing := c.PerUser.PermissionSets[2].PermissionSet.ARN
		assert.Equal(t, []string{
			"assignment-missing " + linuxUsers + "/SSM-PerUser/" + w.org.Accounts[2] + ": want " + linuxUsers +
				" assigned SSM-PerUser (pulumi up assigns accounts added since the last deploy) got no assignment",
			"assignment-unwanted " + linuxUsers + "/SSM-PerUser/" + w.org.Accounts[1] +
				": want no assignment (not in perUser.permissionSets[].assignments; pulumi up removes the ones it made) got " + linuxUsers + " assigned SSM-PerUser",
			"permission-set-missing " + dbOperators + "/" + existing + ": want permission set " + existing +
				" (an existing one, named by its ARN) got not in " + c.IdentityCenter.InstanceARN,
			"permission-set-missing " + unmade + "/SSM-PerUser-Unmade: want permission set SSM-PerUser-Unmade (pulumi up creates it) got not in " + c.IdentityCenter.InstanceARN,
		}, findings(got))
	})

	for _, source := range []string{"onPremisesSamAccountName", "mailNickname", "extensionAttribute3"} {
		t.Run("stale values from "+source, func(t *testing.T) {
			cs := *c
			pu := *c.PerUser
			pu.UserSource = source
			cs.PerUser = &pu
			e := *c.Entra
			e.SCIM.SourceAttribute = source
			cs.Entra = &e
			_, gc := entraFor(t, source)

			got, err := audit.CheckStaleValues(ctx, ids, gc, &cs)
			require.NoError(t, err)
			assert.ElementsMatch(t, wantStale, subjects(got), findings(got))
			for _, f := range got {
				switch f.Subject {
				case "bob@corp.example":
					assert.Equal(t, "bob (sessions still open as it)", f.Got)
					assert.Contains(t, f.Want, source+" is empty in Entra ID")
				case "carol@corp.example":
					assert.Equal(t, "carol", f.Got)
					assert.Equal(t, `cjones (from `+source+` "CJones" in Entra ID)`, f.Want, "the value the lower-casing mapping would write")
				case "frank@corp.example":
					assert.Contains(t, f.Got, "frank")
				}
			}
		})
	}

	t.Run("a configured group Entra does not have yet", func(t *testing.T) {
		// Nobody is in it in Identity Center either, so there is nothing of
		// it to compare: the others are still checked.
		_, gc := entraFor(t, c.PerUser.UserSource, linuxUsers, dbOperators)
		got, err := audit.CheckStaleValues(ctx, ids, gc, c)
		require.NoError(t, err)
		assert.ElementsMatch(t, wantStale, subjects(got), findings(got))
	})

	t.Run("a group renamed in Entra", func(t *testing.T) {
		// Identity Center still holds the memberships under the old name
		// until provisioning runs; its people are read one by one, so the
		// findings are the same.
		fg, gc := entraFor(t, c.PerUser.UserSource, dbOperators, unmade)
		var ids4Linux []string
		for i, p := range people {
			if p.entra && slices.Contains(p.entraGroups, linuxUsers) {
				ids4Linux = append(ids4Linux, "00000000-0000-4000-8000-00000000000"+string(rune('a'+i)))
			}
		}
		require.NotEmpty(t, ids4Linux)
		fg.SetGroup(linuxUsers+" (renamed)", ids4Linux...)
		got, err := audit.CheckStaleValues(ctx, ids, gc, c)
		require.NoError(t, err)
		assert.ElementsMatch(t, wantStale, subjects(got), findings(got))
	})

	t.Run("not run without Entra", func(t *testing.T) {
		_, err := audit.CheckStaleValues(ctx, ids, nil, c)
		assert.ErrorIs(t, err, audit.ErrStaleNotChecked)
	})

	t.Run("the report's Identity Center section", func(t *testing.T) {
		src := audit.FromFactory(w.factory, c, audit.RegionsConfigured)
		src.ABAC = abacStub{source: c.IdentityCenter.RunAsSource}
		values := []string{
			"value-missing dave@corp.example",
			"assignment-missing " + linuxUsers + "/SSM-PerUser/" + w.org.Accounts[2],
			"assignment-unwanted " + linuxUsers + "/SSM-PerUser/" + w.org.Accounts[1],
			"permission-set-missing " + dbOperators + "/" + c.PerUser.PermissionSets[2].PermissionSet.ARN,
			"permission-set-missing " + unmade + "/SSM-PerUser-Unmade",
		}

		rep, err := audit.Run(ctx, c, src, audit.Options{})
		require.NoError(t, err)
		ic := rep.IdentityCenter
		assert.Equal(t, audit.StatusError, ic.Status, "without Entra the stale check is not passed")
		assert.Contains(t, ic.Error, "stale values not checked")
		assert.Contains(t, ic.Error, "--entra", "the report says how to run it")
		assert.ElementsMatch(t, values, subjects(ic.Findings), "the other checks still report")
		assert.Equal(t, audit.ExitIncomplete, rep.ExitCode())

		_, gc := entraFor(t, c.PerUser.UserSource)
		src.Entra = gc
		rep, err = audit.Run(ctx, c, src, audit.Options{})
		require.NoError(t, err)
		ic = rep.IdentityCenter
		assert.Equal(t, audit.StatusDrift, ic.Status, ic.Error)
		assert.Empty(t, ic.Error)
		assert.ElementsMatch(t, append(values, wantStale...), subjects(ic.Findings), findings(ic.Findings))
	})
}
