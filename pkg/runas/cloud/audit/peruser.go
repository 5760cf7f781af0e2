package audit

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// assignedPerson is an identity store user who gets a per-user permission
// set, with the value Identity Center holds for them.
type assignedPerson struct {
	// userName is the identity store user name: what provisioning writes
	// from the Entra userPrincipalName (the default mapping's matching
	// attribute).
	userName string
	value    string
	// groups are the groups of perUser.permissionSets that give them
	// their assignments, as configured.
	groups []string
}

// readPerUser reads the people assigned through perUser.permissionSets:
// the members of each permission set's group in the identity store, with
// their values, sorted by user name. A group SCIM has not provisioned is a
// group-missing finding.
func readPerUser(ctx context.Context, api IdentityStoreAPI, c *settings.Config) ([]assignedPerson, []Finding, error) {
	ic := c.IdentityCenter
	var findings []Finding
	assigned := map[string][]string{}
	if c.PerUser != nil {
		for _, a := range c.PerUser.PermissionSets {
			members, found, err := groupMembers(ctx, api, ic.IdentityStoreID, a.EntraGroup)
			if err != nil {
				return nil, nil, err
			}
			if !found {
				findings = append(findings, groupMissing(a.EntraGroup))
				continue
			}
			for _, id := range members {
				if !slices.Contains(assigned[id], a.EntraGroup) {
					assigned[id] = append(assigned[id], a.EntraGroup)
				}
			}
		}
	}
	if len(assigned) == 0 {
		return nil, findings, nil
	}
	users, err := listUsers(ctx, api, ic.IdentityStoreID)
	if err != nil {
		return nil, nil, err
	}
	var people []assignedPerson
	for _, u := range users {
		groups := assigned[aws.ToString(u.UserId)]
		if len(groups) == 0 {
			continue
		}
		got, err := AttributeValue(u, ic.RunAsSource)
		if err != nil {
			return nil, nil, err
		}
		people = append(people, assignedPerson{userName: aws.ToString(u.UserName), value: got, groups: groups})
	}
	sort.Slice(people, func(i, j int) bool { return people[i].userName < people[j].userName })
	return people, findings, nil
}

// checkPerUser is CheckUsers for the per-user and domain-controller
// models, where each person's value is their own account name. Every
// member of a group of perUser.permissionSets must hold a value (the
// permission sets refuse sessions without the tag), that value must be a
// valid Linux user name and not a reserved one (the guardrail refuses it),
// and no two people may hold the same value, compared in lower case: they
// would share one account on the hosts. People in none of those groups
// have no assignment, so their values are not checked.
func checkPerUser(ctx context.Context, api IdentityStoreAPI, c *settings.Config) ([]Finding, error) {
	people, findings, err := readPerUser(ctx, api, c)
	if err != nil {
		return nil, err
	}
	findings = append(findings, perUserValueFindings(c, people)...)
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Subject < findings[j].Subject })
	return findings, nil
}

// perUserValueFindings judges the values people hold; see checkPerUser.
func perUserValueFindings(c *settings.Config, people []assignedPerson) []Finding {
	source := c.IdentityCenter.RunAsSource
	reserved := c.ReservedRunAsUsers()
	var findings []Finding
	var holders []assignedPerson
	holdersOf := map[string][]string{}
	for _, p := range people {
		who, got := p.userName, p.value
		switch {
		case got == "":
			findings = append(findings, Finding{Check: CheckValueMissing, Subject: who, Want: "their own account name in " + source, Got: "(none): sessions are refused"})
			continue
		case username.Validate(got) != nil:
			// The rule it breaks: the pattern, or root (which matches it).
			findings = append(findings, Finding{Check: CheckValueInvalid, Subject: who, Want: "a Run As user name: " + username.Validate(got).Error(), Got: got})
		case slices.Contains(reserved, got):
			findings = append(findings, Finding{Check: CheckValueReserved, Subject: who, Want: "not one of " + strings.Join(reserved, ", ") + " (the guardrail refuses them)", Got: got})
		}
		key := username.Account(got)
		holders = append(holders, p)
		holdersOf[key] = append(holdersOf[key], who)
	}
	for _, h := range holders {
		all := holdersOf[username.Account(h.value)]
		if len(all) < 2 {
			continue
		}
		others := slices.DeleteFunc(slices.Clone(all), func(w string) bool { return w == h.userName })
		sort.Strings(others)
		findings = append(findings, Finding{Check: CheckValueDuplicate, Subject: h.userName, Want: "a value no one else holds", Got: h.value + " (also held by " + strings.Join(others, ", ") + ")"})
	}
	return findings
}
