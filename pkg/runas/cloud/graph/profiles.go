package graph

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Profile is the part of an Entra user the per-user audit reads: who the
// person is and the one attribute their Run As value is provisioned from.
// Graph returns only the properties a request selects, so a Profile holds
// the attribute it was read for and nothing else.
// https://learn.microsoft.com/en-us/graph/api/resources/user
type Profile struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	// OnPremisesSamAccountName is the sAMAccountName Entra Connect or Cloud
	// Sync carries over from AD; null for cloud-only users and when AD
	// clears it.
	OnPremisesSamAccountName *string `json:"onPremisesSamAccountName"`
	MailNickname             *string `json:"mailNickname"`
	// OnPremisesExtensionAttributes holds extensionAttribute1-15; a
	// cleared slot is null.
	OnPremisesExtensionAttributes map[string]*string `json:"onPremisesExtensionAttributes"`
}

// Profile sources: the person's own attributes a per-user Run As value may
// come from (settings.PerUserAttributes and extensionAttribute1-15).
const (
	AttributeSamAccountName = "onPremisesSamAccountName"
	AttributeMailNickname   = "mailNickname"
	extensionAttributes     = "onPremisesExtensionAttributes"
)

var extensionAttributeRe = regexp.MustCompile(`^extensionAttribute([1-9]|1[0-5])$`)

// ProfileProperty is the user property Graph must $select to return
// attribute: the attribute itself, or onPremisesExtensionAttributes for
// extensionAttribute1-15 (the slots are not properties of their own).
func ProfileProperty(attribute string) (string, error) {
	switch {
	case attribute == AttributeSamAccountName || attribute == AttributeMailNickname:
		return attribute, nil
	case extensionAttributeRe.MatchString(attribute):
		return extensionAttributes, nil
	}
	return "", fmt.Errorf("reading %q from Entra ID: not a per-user source (%s, %s or extensionAttribute1-15)",
		attribute, AttributeSamAccountName, AttributeMailNickname)
}

// Attribute returns the value of attribute in the profile, "" when Entra
// holds none (null or empty).
func (p Profile) Attribute(attribute string) (string, error) {
	if _, err := ProfileProperty(attribute); err != nil {
		return "", err
	}
	var v *string
	switch attribute {
	case AttributeSamAccountName:
		v = p.OnPremisesSamAccountName
	case AttributeMailNickname:
		v = p.MailNickname
	default:
		v = p.OnPremisesExtensionAttributes[attribute]
	}
	if v == nil {
		return "", nil
	}
	return *v, nil
}

func profileQuery(attribute string) (url.Values, error) {
	prop, err := ProfileProperty(attribute)
	if err != nil {
		return nil, err
	}
	return url.Values{"$select": {"id,userPrincipalName," + prop}}, nil
}

// GroupMemberProfiles lists the users that are direct members of a group
// with the one attribute selected, page by page. Direct members are the
// ones provisioning sends to Identity Center (it does not expand nested
// groups).
func (c *Client) GroupMemberProfiles(ctx context.Context, groupID, attribute string) ([]Profile, error) {
	q, err := profileQuery(attribute)
	if err != nil {
		return nil, err
	}
	q.Set("$top", "999")
	return list[Profile](ctx, c, request{method: "GET",
		path: "/groups/" + url.PathEscape(groupID) + "/members/microsoft.graph.user?" + q.Encode()})
}

// UserProfile reads one user by object id or userPrincipalName with the
// one attribute selected. A user that does not exist is an *Error with
// status 404 (IsStatus(err, http.StatusNotFound)).
func (c *Client) UserProfile(ctx context.Context, idOrUPN, attribute string) (Profile, error) {
	q, err := profileQuery(attribute)
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	err = c.do(ctx, request{method: "GET", path: userPath(idOrUPN) + "?" + q.Encode()}, &p)
	return p, err
}

// userPath addresses a user. A userPrincipalName starting with $ must be
// quoted in parentheses: /users('$x@example.com').
// https://learn.microsoft.com/en-us/graph/api/user-get
func userPath(idOrUPN string) string {
	if strings.HasPrefix(idOrUPN, "$") {
		return "/users(" + url.PathEscape(odataQuote(idOrUPN)) + ")"
	}
	return "/users/" + url.PathEscape(idOrUPN)
}
