package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idsdocument "github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Identity Center checks.
const (
	CheckABACMapping    = "abac"
	CheckValueMissing   = "value-missing"
	CheckValueInvalid   = "value-invalid"
	CheckValueStale     = "value-stale"
	CheckValueUnknown   = "value-unknown"
	CheckRoleConflict   = "role-conflict"
	CheckGroupMissing   = "group-missing"
	CheckValueReserved  = "value-reserved"
	CheckValueDuplicate = "value-duplicate"
)

// EnterpriseExtension is the identity store extension holding the SCIM
// enterprise attributes (costCenter, employeeNumber, ...).
const EnterpriseExtension = "aws:identitystore:enterprise"

// ABACAPI reads Identity Center's attribute-based access control
// configuration; *ssoadmin.Client satisfies it.
type ABACAPI interface {
	DescribeInstanceAccessControlAttributeConfiguration(ctx context.Context, in *ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput, optFns ...func(*ssoadmin.Options)) (*ssoadmin.DescribeInstanceAccessControlAttributeConfigurationOutput, error)
}

// IdentityStoreAPI is the part of the identity store the user check needs;
// *identitystore.Client satisfies it.
type IdentityStoreAPI interface {
	identitystore.ListUsersAPIClient
	identitystore.ListGroupMembershipsAPIClient
	GetGroupId(ctx context.Context, in *identitystore.GetGroupIdInput, optFns ...func(*identitystore.Options)) (*identitystore.GetGroupIdOutput, error)
}

// CheckABAC checks SSMSessionRunAs is mapped from exactly the configured source.
func CheckABAC(ctx context.Context, api ABACAPI, ic *settings.IdentityCenter) ([]Finding, error) {
	out, err := api.DescribeInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput{InstanceArn: aws.String(ic.InstanceARN)})
	if err != nil {
		return nil, fmt.Errorf("reading the ABAC configuration of %s: %w", ic.InstanceARN, err)
	}
	got := "not mapped"
	if cfg := out.InstanceAccessControlAttributeConfiguration; cfg != nil {
		for _, a := range cfg.AccessControlAttributes {
			if aws.ToString(a.Key) == settings.RunAsTagKey && a.Value != nil {
				got = strings.Join(a.Value.Source, ", ")
			}
		}
	}
	if got != ic.RunAsSource {
		return []Finding{{Check: CheckABACMapping, Subject: settings.RunAsTagKey, Want: ic.RunAsSource, Got: got}}, nil
	}
	return nil, nil
}

// CheckUsers reads every user of the identity store and the members of the
// configured groups. In the per-role model it reports each user whose
// value is missing, invalid, stale, or no role account; in the per-user
// models (see checkPerUser) each member of a permission set group whose own
// value is missing, invalid, reserved or held by someone else. Values kept
// after Entra cleared them need Entra ID: CheckStaleValues.
func CheckUsers(ctx context.Context, api IdentityStoreAPI, c *settings.Config) ([]Finding, error) {
	if c.PerUserModel() {
		return checkPerUser(ctx, api, c)
	}
	ic := c.IdentityCenter
	roles := c.RolesByPrecedence()
	memberOf := map[string][]settings.Role{}
	var findings []Finding
	for _, r := range roles {
		members, found, err := groupMembers(ctx, api, ic.IdentityStoreID, r.EntraGroup)
		if err != nil {
			return nil, err
		}
		if !found {
			findings = append(findings, groupMissing(r.EntraGroup))
			continue
		}
		for _, id := range members {
			memberOf[id] = append(memberOf[id], r)
		}
	}
	roleAccounts := map[string]bool{}
	for _, r := range roles {
		roleAccounts[r.LinuxUser] = true
	}
	revoked := ""
	if c.Entra != nil {
		revoked = c.Entra.AttributeSync.RevokedValue
	}

	users, err := listUsers(ctx, api, ic.IdentityStoreID)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		got, err := AttributeValue(u, ic.RunAsSource)
		if err != nil {
			return nil, err
		}
		who := aws.ToString(u.UserName)
		rs := memberOf[aws.ToString(u.UserId)]
		if len(rs) == 0 {
			switch {
			case got == "" || got == revoked:
			case roleAccounts[got]:
				findings = append(findings, Finding{Check: CheckValueStale, Subject: who, Want: orNone(revoked) + " (in no role group)", Got: got})
			default:
				findings = append(findings, Finding{Check: CheckValueUnknown, Subject: who, Want: "a role account or " + orNone(revoked), Got: got})
			}
			continue
		}
		d := settings.DecideRole(rs)
		if d.Conflict != nil {
			findings = append(findings, Finding{Check: CheckRoleConflict, Subject: who, Want: "one role per precedence", Got: d.Winner.Name + ", " + d.Conflict.Name})
			continue
		}
		want := d.Winner.LinuxUser
		switch {
		case got == "":
			findings = append(findings, Finding{Check: CheckValueMissing, Subject: who, Want: want, Got: "(none)"})
		case username.Validate(got) != nil:
			findings = append(findings, Finding{Check: CheckValueInvalid, Subject: who, Want: want, Got: got})
		case got != want:
			findings = append(findings, Finding{Check: CheckValueStale, Subject: who, Want: want, Got: got})
		}
	}
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Subject < findings[j].Subject })
	return findings, nil
}

// listUsers reads every user of the identity store, with the enterprise
// attributes.
func listUsers(ctx context.Context, api IdentityStoreAPI, store string) ([]idstypes.User, error) {
	var users []idstypes.User
	p := identitystore.NewListUsersPaginator(api, &identitystore.ListUsersInput{IdentityStoreId: aws.String(store), Extensions: []string{EnterpriseExtension}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the users of %s: %w", store, err)
		}
		users = append(users, page.Users...)
	}
	return users, nil
}

// groupMembers lists the user ids of the members of the group with the
// display name group; found is false when the identity store has no such
// group.
func groupMembers(ctx context.Context, api IdentityStoreAPI, store, group string) (ids []string, found bool, err error) {
	g, err := api.GetGroupId(ctx, &identitystore.GetGroupIdInput{IdentityStoreId: aws.String(store),
		AlternateIdentifier: &idstypes.AlternateIdentifierMemberUniqueAttribute{Value: idstypes.UniqueAttribute{
			AttributePath: aws.String("displayName"), AttributeValue: idsdocument.NewLazyDocument(group)}}})
	if err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("finding group %s: %w", group, err)
	}
	p := identitystore.NewListGroupMembershipsPaginator(api, &identitystore.ListGroupMembershipsInput{IdentityStoreId: aws.String(store), GroupId: g.GroupId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("listing the members of %s: %w", group, err)
		}
		for _, m := range page.GroupMemberships {
			if u, ok := m.MemberId.(*idstypes.MemberIdMemberUserId); ok {
				ids = append(ids, u.Value)
			}
		}
	}
	return ids, true, nil
}

func groupMissing(group string) Finding {
	return Finding{Check: CheckGroupMissing, Subject: group, Want: "provisioned by SCIM", Got: "not in the identity store"}
}

func isNotFound(err error) bool {
	var nf *idstypes.ResourceNotFoundException
	return errors.As(err, &nf)
}

func orNone(s string) string {
	if s == "" {
		return "no value"
	}
	return s
}

// AttributeValue reads the identity store attribute at an ABAC source path
// such as ${path:enterprise.costCenter} or ${path:title}.
func AttributeValue(u idstypes.User, source string) (string, error) {
	path := strings.TrimSuffix(strings.TrimPrefix(source, "${path:"), "}")
	if name, ok := strings.CutPrefix(path, "enterprise."); ok {
		doc, ok := u.Extensions[EnterpriseExtension]
		if !ok || doc == nil {
			return "", nil
		}
		// Through JSON: the document types do not decode into maps reliably.
		raw, err := doc.MarshalSmithyDocument()
		var ext map[string]any
		if err == nil {
			err = json.Unmarshal(raw, &ext)
		}
		if err != nil {
			return "", fmt.Errorf("reading the enterprise attributes of %s: %w", aws.ToString(u.UserName), err)
		}
		v, _ := ext[name].(string)
		return v, nil
	}
	switch path {
	case "title":
		return aws.ToString(u.Title), nil
	case "userType":
		return aws.ToString(u.UserType), nil
	case "nickName":
		return aws.ToString(u.NickName), nil
	case "displayName":
		return aws.ToString(u.DisplayName), nil
	case "userName":
		return aws.ToString(u.UserName), nil
	case "preferredLanguage":
		return aws.ToString(u.PreferredLanguage), nil
	case "locale":
		return aws.ToString(u.Locale), nil
	case "timezone":
		return aws.ToString(u.Timezone), nil
	case "profileUrl":
		return aws.ToString(u.ProfileUrl), nil
	}
	return "", fmt.Errorf("the audit cannot read %s from the identity store API", source)
}

func identityCenterSection(ctx context.Context, c *settings.Config, src Sources) Section {
	if c.IdentityCenter == nil {
		return Section{Status: StatusSkipped}
	}
	var b sectionBuilder
	b.add(CheckABAC(ctx, src.ABAC, c.IdentityCenter))
	switch {
	case c.PerUserModel():
		b.add(perUserFindings(ctx, c, src))
	case len(c.Roles) > 0:
		b.add(CheckUsers(ctx, src.IdentityStore, c))
	}
	if src.Assignments != nil {
		b.add(CheckAssignments(ctx, src.Assignments, src.IdentityStore, src.Accounts, c))
	}
	return b.done()
}

// perUserFindings runs the per-user value checks and the stale value
// check on one read of the identity store. Without src.Entra the stale
// check's ErrStaleNotChecked comes back with the other findings, so the
// section says it was not checked.
func perUserFindings(ctx context.Context, c *settings.Config, src Sources) ([]Finding, error) {
	people, findings, err := readPerUser(ctx, src.IdentityStore, c)
	if err != nil {
		return nil, err
	}
	findings = append(findings, perUserValueFindings(c, people)...)
	stale, err := staleFindings(ctx, src.Entra, c, people)
	findings = append(findings, stale...)
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Subject < findings[j].Subject })
	return findings, err
}
