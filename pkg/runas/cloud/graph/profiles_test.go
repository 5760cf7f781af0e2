package graph_test

// Graph has no emulator: these tests replay the documented user shapes
// kept in testdata/ (a $select answer carries only the selected
// properties, cleared attributes are null, a missing user is a 404 with
// Request_ResourceNotFound).

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

func TestGroupMemberProfiles(t *testing.T) {
	r := newReplay(t)
	c := client(t, r, graph.Options{})
	r.on("GET", "/groups/g-linux/members/microsoft.graph.user",
		ok(readTestdata(t, "profiles_page1.json")), ok(readTestdata(t, "profiles_page2.json")))

	people, err := c.GroupMemberProfiles(context.Background(), "g-linux", "onPremisesSamAccountName")
	require.NoError(t, err)
	require.Len(t, people, 3, "both pages")
	got := map[string]string{}
	for _, p := range people {
		v, err := p.Attribute("onPremisesSamAccountName")
		require.NoError(t, err)
		got[p.UserPrincipalName] = v
	}
	assert.Equal(t, map[string]string{"Alice.Smith@corp.example": "ASmith", "bob@corp.example": "", "carol@corp.example": "carol"}, got,
		"a null attribute reads as no value")

	q, err := url.ParseQuery(r.calls[0].Query)
	require.NoError(t, err)
	assert.Equal(t, "id,userPrincipalName,onPremisesSamAccountName", q.Get("$select"), "Graph returns onPremisesSamAccountName only when selected")
	assert.Equal(t, "999", q.Get("$top"))
	assert.Contains(t, r.calls[1].Query, "skiptoken=RFNwdAIAAQAAAC", "the second page follows @odata.nextLink")
}

func TestUserProfile(t *testing.T) {
	r := newReplay(t)
	c := client(t, r, graph.Options{})
	ctx := context.Background()

	r.on("GET", "/users/dave@corp.example", ok(readTestdata(t, "profile_extension.json")))
	p, err := c.UserProfile(ctx, "dave@corp.example", "extensionAttribute3")
	require.NoError(t, err)
	v, err := p.Attribute("extensionAttribute3")
	require.NoError(t, err)
	assert.Equal(t, "DJones", v)
	v, err = p.Attribute("extensionAttribute1")
	require.NoError(t, err)
	assert.Empty(t, v, "a null slot is no value")
	q, err := url.ParseQuery(r.calls[0].Query)
	require.NoError(t, err)
	assert.Equal(t, "id,userPrincipalName,onPremisesExtensionAttributes", q.Get("$select"),
		"extension attributes are read through onPremisesExtensionAttributes, not as properties of their own")

	r.on("GET", "/users/erin@corp.example", answer{status: 404, body: readTestdata(t, "user_not_found.json")})
	_, err = c.UserProfile(ctx, "erin@corp.example", "onPremisesSamAccountName")
	assert.True(t, graph.IsStatus(err, http.StatusNotFound), "%v", err)
	assert.ErrorContains(t, err, "Request_ResourceNotFound")

	r.on("GET", "/users('$admin@corp.example')", ok([]byte(`{"id":"u-admin","userPrincipalName":"$admin@corp.example","mailNickname":"admin"}`)))
	p, err = c.UserProfile(ctx, "$admin@corp.example", "mailNickname")
	require.NoError(t, err, "a userPrincipalName starting with $ is addressed as /users('...')")
	v, err = p.Attribute("mailNickname")
	require.NoError(t, err)
	assert.Equal(t, "admin", v)

	calls := len(r.calls)
	_, err = c.UserProfile(ctx, "frank@corp.example", "department")
	assert.ErrorContains(t, err, `"department"`, "only the per-user sources are read")
	assert.Len(t, r.calls, calls, "an unknown attribute is refused before any call")
}

func TestProfileProperty(t *testing.T) {
	for attr, want := range map[string]string{
		"onPremisesSamAccountName": "onPremisesSamAccountName",
		"mailNickname":             "mailNickname",
		"extensionAttribute1":      "onPremisesExtensionAttributes",
		"extensionAttribute15":     "onPremisesExtensionAttributes",
	} {
		got, err := graph.ProfileProperty(attr)
		require.NoError(t, err, attr)
		assert.Equal(t, want, got, attr)
	}
	for _, attr := range []string{"extensionAttribute0", "extensionAttribute16", "userPrincipalName", ""} {
		_, err := graph.ProfileProperty(attr)
		assert.Error(t, err, attr)
	}
}
