package audit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy/membersection"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/jsoneq"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Checks on the session broker's role in each account and region.
const (
	// CheckSessionRoleMissing: no role <broker.sessionRoleName>-<region>;
	// the broker cannot start sessions in that account and region.
	CheckSessionRoleMissing = "session-role-missing"
	// CheckSessionRoleTrust: the role's trust policy differs from the one
	// the member template deploys.
	CheckSessionRoleTrust = "session-role-trust"
	// CheckSessionRolePolicy: the role's permission policy is absent or
	// differs.
	CheckSessionRolePolicy = "session-role-policy"
	// CheckSessionRoleExtraPolicy: the role carries a policy the template
	// does not deploy (another inline or an attached managed policy).
	CheckSessionRoleExtraPolicy = "session-role-extra-policy"
)

// RoleAPI is the part of IAM the session role check needs.
type RoleAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	iam.ListRolePoliciesAPIClient
	iam.ListAttachedRolePoliciesAPIClient
}

// CheckSessionRole checks the broker's session role in one account and
// region against what the member template deploys there
// (membersection.For, the one builder of the role): it exists, its trust
// policy and its permission policy are the template's (compared as JSON
// values), and it carries no other policy. Nothing is checked when the
// configuration has no broker.
func CheckSessionRole(ctx context.Context, api RoleAPI, c *settings.Config, region string) ([]Finding, error) {
	want, err := membersection.For(c)
	if err != nil || want == nil {
		return nil, err
	}
	name := rules.SessionRoleName(want.BaseName, region)
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if errors.As(err, new(*iamtypes.NoSuchEntityException)) {
		return []Finding{{Check: CheckSessionRoleMissing, Subject: name,
			Want: "the broker's session role (member template section " + membersection.SectionName + ")",
			Got:  "none: the broker cannot start sessions here"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading role %s: %w", name, err)
	}
	var findings []Finding
	trust, err := policyText(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return nil, fmt.Errorf("reading the trust policy of role %s: %w", name, err)
	}
	if !jsoneq.Equal([]byte(trust), want.Trust.JSON()) {
		findings = append(findings, Finding{Check: CheckSessionRoleTrust, Subject: name, Want: string(want.Trust.JSON()), Got: trust})
	}

	inline, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(membersection.SessionRolePolicyName)})
	switch {
	case errors.As(err, new(*iamtypes.NoSuchEntityException)):
		findings = append(findings, Finding{Check: CheckSessionRolePolicy, Subject: name,
			Want: "inline policy " + membersection.SessionRolePolicyName, Got: "none: the role may start no session"})
	case err != nil:
		return nil, fmt.Errorf("reading policy %s of role %s: %w", membersection.SessionRolePolicyName, name, err)
	default:
		got, err := policyText(aws.ToString(inline.PolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("reading policy %s of role %s: %w", membersection.SessionRolePolicyName, name, err)
		}
		if !jsoneq.Equal([]byte(got), want.Permissions.JSON()) {
			findings = append(findings, Finding{Check: CheckSessionRolePolicy, Subject: name + " " + membersection.SessionRolePolicyName,
				Want: string(want.Permissions.JSON()), Got: got})
		}
	}

	// Any other policy widens what the broker's sessions may do.
	var extra []string
	lp := iam.NewListRolePoliciesPaginator(api, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the inline policies of role %s: %w", name, err)
		}
		for _, p := range page.PolicyNames {
			if p != membersection.SessionRolePolicyName {
				extra = append(extra, "inline "+p)
			}
		}
	}
	ap := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the managed policies of role %s: %w", name, err)
		}
		for _, p := range page.AttachedPolicies {
			extra = append(extra, "attached "+aws.ToString(p.PolicyArn))
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		findings = append(findings, Finding{Check: CheckSessionRoleExtraPolicy, Subject: name,
			Want: "only inline policy " + membersection.SessionRolePolicyName, Got: strings.Join(extra, ", ")})
	}
	return findings, nil
}

// policyText decodes a policy document as IAM returns it: URL-encoded
// JSON (RFC 3986).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html
func policyText(encoded string) (string, error) {
	s, err := url.PathUnescape(encoded)
	if err != nil {
		return "", fmt.Errorf("decoding the URL-encoded document: %w", err)
	}
	return s, nil
}
