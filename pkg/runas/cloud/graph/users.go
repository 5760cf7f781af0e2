package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// Group is an Entra group.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// User is the part of an Entra user the role sync reads.
type User struct {
	ID                            string            `json:"id"`
	UserPrincipalName             string            `json:"userPrincipalName"`
	OnPremisesSyncEnabled         *bool             `json:"onPremisesSyncEnabled"`
	OnPremisesExtensionAttributes map[string]string `json:"onPremisesExtensionAttributes"`
}

// Synced reports whether the user comes from on-premises AD, where its
// extension attributes must be written instead.
func (u User) Synced() bool { return u.OnPremisesSyncEnabled != nil && *u.OnPremisesSyncEnabled }

const userFields = "id,userPrincipalName,onPremisesSyncEnabled,onPremisesExtensionAttributes"

// ErrGroupNotFound is GroupByName's answer when no group has the display
// name: the group was renamed or deleted in Entra ID, or not created yet.
var ErrGroupNotFound = errors.New("no group has that display name")

// GroupByName returns the one group with that display name; none is
// ErrGroupNotFound, more than one an error of its own.
func (c *Client) GroupByName(ctx context.Context, name string) (Group, error) {
	q := url.Values{"$filter": {"displayName eq " + odataQuote(name)}, "$select": {"id,displayName"}}
	groups, err := list[Group](ctx, c, request{method: "GET", path: "/groups?" + q.Encode()})
	if err != nil {
		return Group{}, err
	}
	if len(groups) == 0 {
		return Group{}, fmt.Errorf("group %q: %w", name, ErrGroupNotFound)
	}
	if len(groups) != 1 {
		return Group{}, fmt.Errorf("group %q: %d groups have that display name, want exactly one", name, len(groups))
	}
	return groups[0], nil
}

// GroupMemberUsers lists the users that are direct members of a group, page
// by page. Members of nested groups are not included: Entra provisioning
// does not expand nested groups, so Identity Center knows only direct
// members, and a value computed from transitive membership would give
// people a role that their permission sets do not.
func (c *Client) GroupMemberUsers(ctx context.Context, groupID string) ([]User, error) {
	q := url.Values{"$select": {userFields}, "$top": {"999"}}
	return list[User](ctx, c, request{method: "GET",
		path: "/groups/" + url.PathEscape(groupID) + "/members/microsoft.graph.user?" + q.Encode()})
}

// UsersWithAttribute lists every user whose extension attribute attr has a
// value (an advanced query: it needs ConsistencyLevel eventual and $count).
func (c *Client) UsersWithAttribute(ctx context.Context, attr string) ([]User, error) {
	q := url.Values{
		"$filter": {"onPremisesExtensionAttributes/" + attr + " ne null"},
		"$count":  {"true"},
		"$select": {userFields},
		"$top":    {"999"},
	}
	return list[User](ctx, c, request{method: "GET", path: "/users?" + q.Encode(),
		headers: map[string]string{"ConsistencyLevel": "eventual"}})
}

// SetExtensionAttribute writes one onPremisesExtensionAttributes slot of a
// cloud user (azuread.User cannot). Users synced from AD are refused by Graph.
func (c *Client) SetExtensionAttribute(ctx context.Context, userID, attr, value string) error {
	body := map[string]any{"onPremisesExtensionAttributes": map[string]string{attr: value}}
	return c.do(ctx, request{method: "PATCH", path: "/users/" + url.PathEscape(userID), body: body}, nil)
}
