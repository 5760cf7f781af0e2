package audit

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idsdocument "github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Account assignment checks.
const (
	CheckAssignmentMissing    = "assignment-missing"
	CheckAssignmentUnwanted   = "assignment-unwanted"
	CheckPermissionSetMissing = "permission-set-missing"
)

// AssignmentsAPI is the part of Identity Center's admin API the assignment
// check needs; *ssoadmin.Client satisfies it.
type AssignmentsAPI interface {
	ssoadmin.ListPermissionSetsAPIClient
	ssoadmin.ListAccountAssignmentsForPrincipalAPIClient
	DescribePermissionSet(ctx context.Context, in *ssoadmin.DescribePermissionSetInput, optFns ...func(*ssoadmin.Options)) (*ssoadmin.DescribePermissionSetOutput, error)
}

var accountIDRe = regexp.MustCompile(`^\d{12}$`)

// access is one group's permission set and the accounts it should have
// there: a role (roles[]) or a per-user permission set
// (perUser.permissionSets[]).
type access struct {
	// subject names it in findings: the role, or group/permission set.
	subject string
	group   string
	ps      settings.PermissionSet
	targets []string
	// field is the configuration field listing the accounts.
	field string
}

// configuredAccess lists what the configuration assigns: the roles by
// precedence, or the per-user permission sets in their order.
func configuredAccess(c *settings.Config) []access {
	var out []access
	for _, r := range c.RolesByPrecedence() {
		out = append(out, access{subject: r.Name, group: r.EntraGroup, ps: r.PermissionSet, targets: r.Assignments, field: "roles[].assignments"})
	}
	if c.PerUser != nil {
		for _, a := range c.PerUser.PermissionSets {
			out = append(out, access{subject: a.EntraGroup + "/" + a.PermissionSet.DisplayName(), group: a.EntraGroup,
				ps: a.PermissionSet, targets: a.Assignments, field: "perUser.permissionSets[].assignments"})
		}
	}
	return out
}

// CheckAssignments compares the account assignments of each role, and of
// each per-user permission set, with the configuration: Identity Center
// has no OU-level assignment, so an account added under a configured OU
// after the last `pulumi up` has none (assignment-missing), and an account
// dropped from the assignments keeps the one it had (assignment-unwanted).
// OUs are expanded to their ACTIVE accounts as the stack expands them. A
// permission set the instance does not have, by name or by ARN, is
// permission-set-missing. Groups not in the identity store are left to
// CheckUsers (group-missing).
func CheckAssignments(ctx context.Context, api AssignmentsAPI, ids IdentityStoreAPI, orgs awsorg.AccountsAPI, c *settings.Config) ([]Finding, error) {
	want := configuredAccess(c)
	if len(want) == 0 {
		return nil, nil
	}
	ic := c.IdentityCenter
	instance := aws.String(ic.InstanceARN)
	byName, err := permissionSetsByName(ctx, api, ic.InstanceARN)
	if err != nil {
		return nil, err
	}
	arns := map[string]bool{}
	for _, arn := range byName {
		arns[arn] = true
	}
	expanded := map[string][]string{}
	expand := func(target string) ([]string, error) {
		if accountIDRe.MatchString(target) {
			return []string{target}, nil
		}
		if got, ok := expanded[target]; ok {
			return got, nil
		}
		got, err := awsorg.DiscoverAccounts(ctx, orgs, []string{target})
		if err != nil {
			return nil, err
		}
		expanded[target] = got
		return got, nil
	}
	var findings []Finding
	for _, r := range want {
		name := r.ps.DisplayName()
		psARN := r.ps.ARN
		if psARN == "" {
			psARN = byName[r.ps.Name]
		}
		if psARN == "" || !arns[psARN] {
			how := "(pulumi up creates it)"
			if !r.ps.Managed() {
				how = "(an existing one, named by its ARN)"
			}
			findings = append(findings, Finding{Check: CheckPermissionSetMissing, Subject: r.subject, Want: "permission set " + name + " " + how, Got: "not in " + ic.InstanceARN})
			continue
		}
		g, err := ids.GetGroupId(ctx, &identitystore.GetGroupIdInput{IdentityStoreId: aws.String(ic.IdentityStoreID),
			AlternateIdentifier: &idstypes.AlternateIdentifierMemberUniqueAttribute{Value: idstypes.UniqueAttribute{
				AttributePath: aws.String("displayName"), AttributeValue: idsdocument.NewLazyDocument(r.group)}}})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("finding group %s: %w", r.group, err)
		}
		wanted := map[string]bool{}
		for _, t := range r.targets {
			accounts, err := expand(t)
			if err != nil {
				return nil, fmt.Errorf("expanding the assignments of %s: %w", r.subject, err)
			}
			for _, a := range accounts {
				wanted[a] = true
			}
		}
		have := map[string]bool{}
		p := ssoadmin.NewListAccountAssignmentsForPrincipalPaginator(api, &ssoadmin.ListAccountAssignmentsForPrincipalInput{
			InstanceArn: instance, PrincipalId: g.GroupId, PrincipalType: ssotypes.PrincipalTypeGroup})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing the account assignments of %s: %w", r.group, err)
			}
			for _, a := range page.AccountAssignments {
				if aws.ToString(a.PermissionSetArn) == psARN {
					have[aws.ToString(a.AccountId)] = true
				}
			}
		}
		for _, a := range slices.Sorted(maps.Keys(wanted)) {
			if !have[a] {
				findings = append(findings, Finding{Check: CheckAssignmentMissing, Subject: r.subject + "/" + a,
					Want: r.group + " assigned " + name + " (pulumi up assigns accounts added since the last deploy)", Got: "no assignment"})
			}
		}
		for _, a := range slices.Sorted(maps.Keys(have)) {
			if !wanted[a] {
				findings = append(findings, Finding{Check: CheckAssignmentUnwanted, Subject: r.subject + "/" + a,
					Want: "no assignment (not in " + r.field + "; pulumi up removes the ones it made)", Got: r.group + " assigned " + name})
			}
		}
	}
	return findings, nil
}

// permissionSetsByName maps the instance's permission set names to ARNs.
func permissionSetsByName(ctx context.Context, api AssignmentsAPI, instanceARN string) (map[string]string, error) {
	out := map[string]string{}
	p := ssoadmin.NewListPermissionSetsPaginator(api, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(instanceARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the permission sets of %s: %w", instanceARN, err)
		}
		for _, arn := range page.PermissionSets {
			d, err := api.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: aws.String(instanceARN), PermissionSetArn: aws.String(arn)})
			if err != nil {
				return nil, fmt.Errorf("describing permission set %s: %w", arn, err)
			}
			if d.PermissionSet != nil {
				out[aws.ToString(d.PermissionSet.Name)] = arn
			}
		}
	}
	return out, nil
}
