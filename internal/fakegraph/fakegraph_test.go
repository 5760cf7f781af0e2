package fakegraph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

// TestGroupFilterReadsODataLiterals: the stand-in must read a $filter the
// way Graph does, or a client quoting a name wrongly would pass here and
// fail against Graph. A quote inside a string literal is written twice,
// and eq on a directory object's displayName ignores case.
// https://learn.microsoft.com/en-us/graph/query-parameters#escaping-single-quotes
func TestGroupFilterReadsODataLiterals(t *testing.T) {
	fg := fakegraph.New(t)
	fg.AddUser("u-1", "alice@corp.example", true, "")
	fg.SetGroup("O'Brien's Linux Users", "u-1")
	fg.SetGroup("SG-AWS-SSM-Linux-Users")
	c, err := graph.New(fg.BaseURL(), graph.StaticToken("test-token"), graph.Options{})
	require.NoError(t, err)
	ctx := context.Background()

	for _, name := range []string{"O'Brien's Linux Users", "o'brien's linux users"} {
		g, err := c.GroupByName(ctx, name)
		require.NoError(t, err, name)
		assert.Equal(t, "O'Brien's Linux Users", g.DisplayName, name)
		members, err := c.GroupMemberProfiles(ctx, g.ID, "onPremisesSamAccountName")
		require.NoError(t, err, name)
		require.Len(t, members, 1, name)
		assert.Equal(t, "alice@corp.example", members[0].UserPrincipalName)
	}

	_, err = c.GroupByName(ctx, "O'Brien")
	assert.ErrorIs(t, err, graph.ErrGroupNotFound, "a prefix is no match")

	// A literal with a lone quote inside is no OData string: Graph refuses
	// the filter, and so does the fake.
	req, err := http.NewRequest("GET", fg.BaseURL()+"/groups?$filter="+
		"displayName%20eq%20'O'Brien''s%20Linux%20Users'", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer test-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var body struct {
		Error struct{ Code, Message string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "BadRequest", body.Error.Code)
	assert.Contains(t, body.Error.Message, "Invalid filter clause")
}

// TestSelectOfASlotIsRefused: extensionAttribute1-15 are not properties of
// a user, so Graph answers 400 to a $select naming one; a client that
// selected them would read no value from a stand-in that kept quiet.
func TestSelectOfASlotIsRefused(t *testing.T) {
	fg := fakegraph.New(t)
	fg.AddUser("u-1", "alice@corp.example", true, "asmith")
	for _, path := range []string{"/users/u-1", "/groups/g-linux/members/microsoft.graph.user"} {
		fg.SetGroup("linux", "u-1")
		req, err := http.NewRequest("GET", fg.BaseURL()+path+"?$select=id,extensionAttribute1", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body struct {
			Error struct{ Code, Message string }
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, path)
		assert.Equal(t, "Request_BadRequest", body.Error.Code, path)
		assert.Contains(t, body.Error.Message, "'extensionAttribute1'", path)
	}

	c, err := graph.New(fg.BaseURL(), graph.StaticToken("test-token"), graph.Options{})
	require.NoError(t, err)
	p, err := c.UserProfile(context.Background(), "u-1", "extensionAttribute1")
	require.NoError(t, err, "the client selects onPremisesExtensionAttributes")
	v, err := p.Attribute("extensionAttribute1")
	require.NoError(t, err)
	assert.Equal(t, "asmith", v)
}
