package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/explain"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// CheckEntraUserMissing is an assigned Identity Center user no Entra ID
// user matches any more: provisioning no longer updates it, so its value
// stays whatever it was.
const CheckEntraUserMissing = "entra-user-missing"

// EntraUsersAPI reads people's profiles from Microsoft Graph, for the
// stale value check of the per-user models; *graph.Client satisfies it.
type EntraUsersAPI interface {
	GroupByName(ctx context.Context, name string) (graph.Group, error)
	GroupMemberProfiles(ctx context.Context, groupID, attribute string) ([]graph.Profile, error)
	UserProfile(ctx context.Context, idOrUPN, attribute string) (graph.Profile, error)
}

// ErrStaleNotChecked is why the stale value check did not run: nothing
// read Entra ID. The Identity Center section then reports it as not
// checked rather than passing it.
var ErrStaleNotChecked = errors.New("stale values not checked: Entra ID was not read " +
	"(run runas audit with --entra and Microsoft Graph credentials, or set Sources.Entra)")

// CheckStaleValues compares, in the per-user models, the value Identity
// Center holds for every person assigned a per-user permission set with
// the Entra ID attribute it is provisioned from (perUser.userSource).
// Provisioning does not clear a target attribute when its source goes
// empty, so a person whose attribute was cleared in Entra keeps landing
// as the old name: value-stale. So is a value that is not what the
// mapping makes of the attribute now (lower-cased: explain.ProvisionedValue),
// e.g. after a rename the provisioning cycle has not carried over. An
// assigned person Entra no longer has is entra-user-missing. People
// without a value are left to CheckUsers (value-missing). With entra nil
// it returns ErrStaleNotChecked.
func CheckStaleValues(ctx context.Context, ids IdentityStoreAPI, entra EntraUsersAPI, c *settings.Config) ([]Finding, error) {
	if !c.PerUserModel() || c.IdentityCenter == nil || c.PerUser == nil {
		return nil, nil
	}
	if entra == nil {
		return nil, ErrStaleNotChecked
	}
	people, _, err := readPerUser(ctx, ids, c)
	if err != nil {
		return nil, err
	}
	return staleFindings(ctx, entra, c, people)
}

// staleFindings is CheckStaleValues on people already read. Entra users
// are matched by userPrincipalName, which the default provisioning mapping
// writes into the identity store's userName (its matching attribute). The
// members of the permission sets' Entra groups that give someone an
// assignment are read a page at a time (a configured group no one is in,
// or that SCIM has not provisioned, is not looked for: Entra may not have
// it yet); a person found in none of them (e.g. removed from the group in
// Entra while Identity Center still lists the membership) is read on their
// own.
func staleFindings(ctx context.Context, entra EntraUsersAPI, c *settings.Config, people []assignedPerson) ([]Finding, error) {
	if len(people) == 0 {
		return nil, nil
	}
	if entra == nil {
		return nil, ErrStaleNotChecked
	}
	source := c.PerUser.UserSource
	byUPN := map[string]graph.Profile{}
	inUse := map[string]bool{}
	for _, p := range people {
		for _, g := range p.groups {
			inUse[strings.ToLower(g)] = true
		}
	}
	seen := map[string]bool{}
	for _, a := range c.PerUser.PermissionSets {
		key := strings.ToLower(a.EntraGroup)
		if seen[key] || !inUse[key] {
			continue
		}
		seen[key] = true
		g, err := entra.GroupByName(ctx, a.EntraGroup)
		if errors.Is(err, graph.ErrGroupNotFound) {
			// Renamed or deleted in Entra while Identity Center still
			// holds the memberships: its people are read one by one below.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("finding Entra group %s: %w", a.EntraGroup, err)
		}
		members, err := entra.GroupMemberProfiles(ctx, g.ID, source)
		if err != nil {
			return nil, fmt.Errorf("reading %s of the members of Entra group %s: %w", source, a.EntraGroup, err)
		}
		for _, m := range members {
			byUPN[strings.ToLower(m.UserPrincipalName)] = m
		}
	}
	var findings []Finding
	for _, p := range people {
		prof, ok := byUPN[strings.ToLower(p.userName)]
		if !ok {
			var err error
			prof, err = entra.UserProfile(ctx, p.userName, source)
			if graph.IsStatus(err, http.StatusNotFound) {
				findings = append(findings, Finding{Check: CheckEntraUserMissing, Subject: p.userName,
					Want: "an Entra ID user with userPrincipalName " + p.userName,
					Got:  "none: provisioning no longer updates this Identity Center user, whose value is " + orNone(p.value)})
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s of %s from Entra ID: %w", source, p.userName, err)
			}
		}
		raw, err := prof.Attribute(source)
		if err != nil {
			return nil, err
		}
		switch {
		case p.value == "":
			// value-missing, from CheckUsers.
		case raw == "":
			findings = append(findings, Finding{Check: CheckValueStale, Subject: p.userName,
				Want: "no value: " + source + " is empty in Entra ID, and provisioning does not clear the Identity Center attribute",
				Got:  p.value + " (sessions still open as it)"})
		default:
			if want, _ := explain.ProvisionedValue(c, raw); p.value != want {
				findings = append(findings, Finding{Check: CheckValueStale, Subject: p.userName,
					Want: fmt.Sprintf("%s (from %s %q in Entra ID)", want, source, raw), Got: p.value})
			}
		}
	}
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Subject < findings[j].Subject })
	return findings, nil
}
