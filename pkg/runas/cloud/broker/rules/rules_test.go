package rules_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

const (
	org     = "o-a1b2c3d4e5"
	account = "222222222222"
	suffix  = "0123456789abcdef"
)

func ssoARN(account, permissionSet, person string) string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/AWSReservedSSO_%s_%s/%s", account, permissionSet, suffix, person)
}

func TestParseIdentityReadsThePermissionSetFromTheRight(t *testing.T) {
	tests := []struct {
		name, arn, permissionSet, person string
	}{
		{"plain", ssoARN(account, "Admin", "alice@example.com"), "Admin", "alice@example.com"},
		{"underscores", ssoARN(account, "Data_Eng_Admin", "bob"), "Data_Eng_Admin", "bob"},
		{"trailing underscore", ssoARN(account, "Ops_", "carol"), "Ops_", "carol"},
		{"looks like a suffix", ssoARN(account, "X_fedcba9876543210", "dave"), "X_fedcba9876543210", "dave"},
		{"unusual characters", ssoARN(account, "a+b=c,d.e@f-g", "e.f+g=h,i@j-k"), "a+b=c,d.e@f-g", "e.f+g=h,i@j-k"},
		{"other partition", "arn:aws-us-gov:sts::" + account + ":assumed-role/AWSReservedSSO_Admin_" + suffix + "/alice", "Admin", "alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := rules.ParseIdentity(tc.arn)
			require.NoError(t, err)
			assert.Equal(t, rules.Identity{AccountID: account, PermissionSet: tc.permissionSet, Person: tc.person}, id)
		})
	}
}

func TestParseIdentityRefusesWhatIsNotAnIdentityCenterSession(t *testing.T) {
	tests := []struct{ name, arn, want string }{
		{"IAM user", "arn:aws:iam::" + account + ":user/alice", "not an STS role session ARN"},
		{"other role", "arn:aws:sts::" + account + ":assumed-role/Admin/alice", "not an Identity Center permission set role"},
		{"no suffix", "arn:aws:sts::" + account + ":assumed-role/AWSReservedSSO_Admin/alice", "does not end in _<16 hex>"},
		{"short suffix", "arn:aws:sts::" + account + ":assumed-role/AWSReservedSSO_Admin_0123/alice", "does not end in _<16 hex>"},
		{"upper-case suffix", "arn:aws:sts::" + account + ":assumed-role/AWSReservedSSO_Admin_0123456789ABCDEF/alice", "does not end in _<16 hex>"},
		{"empty permission set", "arn:aws:sts::" + account + ":assumed-role/AWSReservedSSO__" + suffix + "/alice", "is not a permission set name"},
		{"federated user", "arn:aws:sts::" + account + ":federated-user/alice", "not an assumed-role session"},
		{"bad account", "arn:aws:sts::2222:assumed-role/AWSReservedSSO_Admin_" + suffix + "/alice", "12-digit account"},
		{"person with space", ssoARN(account, "Admin", "alice smith"), "cannot be a source identity"},
		{"extra path", "arn:aws:sts::" + account + ":assumed-role/AWSReservedSSO_Admin_" + suffix + "/alice/extra", "not an assumed-role session"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.ParseIdentity(tc.arn)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func exampleRules() rules.Rules {
	return rules.Rules{
		OrganizationID:  org,
		Accounts:        []string{account},
		PermissionSets:  map[string]string{"Admin": "admin", "Data_Eng_Developer": "developer"},
		SessionRoleName: "ssm-runas-session",
		Documents:       []string{"SSM-SessionManagerRunShell", "AWS-StartPortForwardingSession"},
		Regions:         []string{"eu-west-1"},
	}
}

func TestDecide(t *testing.T) {
	r := exampleRules()
	require.NoError(t, r.Validate())
	inOrg := func(arn string) rules.Caller { return rules.Caller{ARN: arn, AccountID: account, PrincipalOrgID: org} }
	req := rules.Request{Target: "i-0123456789abcdef0", Region: "eu-west-1"}
	with := func(f func(*rules.Request)) rules.Request { r := req; f(&r); return r }
	tests := []struct {
		name      string
		caller    rules.Caller
		req       rules.Request
		linuxUser string
		refusal   string
	}{
		{"admin", inOrg(ssoARN(account, "Admin", "alice")), req, "admin", ""},
		{"underscored permission set", inOrg(ssoARN(account, "Data_Eng_Developer", "bob")), req, "developer", ""},
		{"own account named", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.AccountID = account }), "admin", ""},
		{"managed instance", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.Target = "mi-0123456789abcdef0" }), "admin", ""},
		{"allowed document", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) {
			r.DocumentName = "AWS-StartPortForwardingSession"
			r.Parameters = map[string][]string{"portNumber": {"22"}}
		}), "admin", ""},
		{"no org id, listed account", rules.Caller{ARN: ssoARN(account, "Admin", "alice"), AccountID: account}, req, "admin", ""},

		{"other organization", rules.Caller{ARN: ssoARN(account, "Admin", "mallory"), AccountID: account, PrincipalOrgID: "o-zzzzzzzzzz"}, req, "", "not o-a1b2c3d4e5"},
		{"no org id, unlisted account", rules.Caller{ARN: ssoARN("999999999999", "Admin", "mallory"), AccountID: "999999999999"}, req, "", "is not one of the organization's accounts"},
		{"account mismatch", rules.Caller{ARN: ssoARN(account, "Admin", "alice"), AccountID: "333333333333", PrincipalOrgID: org}, req, "", "does not match"},
		{"permission set not configured", inOrg(ssoARN(account, "ReadOnly", "alice")), req, "", `permission set "ReadOnly" is not configured`},
		{"prefix of a configured name", inOrg(ssoARN(account, "Data_Eng", "alice")), req, "", `permission set "Data_Eng" is not configured`},
		{"not a permission set role", inOrg("arn:aws:sts::" + account + ":assumed-role/Admin/alice"), req, "", "not an Identity Center permission set role"},
		{"another account", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.AccountID = "333333333333" }), "", "is not the caller's account"},
		{"bad target", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.Target = "i-0123;id" }), "", "must be an instance id"},
		{"instance ARN", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) {
			r.Target = "arn:aws:ec2:eu-west-1:333333333333:instance/i-0123456789abcdef0"
		}), "", "must be an instance id"},
		{"uncovered region", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.Region = "us-east-1" }), "", "no preferences document"},
		{"other document", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.DocumentName = "AWS-StartInteractiveCommand" }), "", "is not one the broker starts sessions with"},
		{"long reason", inOrg(ssoARN(account, "Admin", "alice")), with(func(r *rules.Request) { r.Reason = string(make([]byte, 257)) }), "", "over the 256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := r.Decide(tc.caller, tc.req)
			if tc.refusal == "" {
				require.True(t, d.Allowed, d.Reason)
				assert.Equal(t, tc.linuxUser, d.LinuxUser)
				assert.Equal(t, "arn:aws:iam::"+account+":role/ssm-runas-session-eu-west-1", d.SessionRoleARN)
				return
			}
			assert.False(t, d.Allowed)
			assert.Contains(t, d.Reason, tc.refusal)
			assert.Empty(t, d.LinuxUser)
			assert.Empty(t, d.SessionRoleARN)
		})
	}
}

func TestDecideDefaultsTheDocument(t *testing.T) {
	r := exampleRules()
	r.Documents = nil
	d := r.Decide(rules.Caller{ARN: ssoARN(account, "Admin", "alice"), PrincipalOrgID: org}, rules.Request{Target: "i-0123456789abcdef0", Region: "eu-west-1"})
	require.True(t, d.Allowed, d.Reason)
	assert.Equal(t, rules.DefaultDocument, d.DocumentName)
}

func TestValidate(t *testing.T) {
	err := rules.Rules{PermissionSets: map[string]string{"Admin": "root", "bad name!": "admin"}, Accounts: []string{"12"}}.Validate()
	require.Error(t, err)
	for _, want := range []string{"organizationId", "sessionRoleName is required", `permissionSets["Admin"] "root"`, `permissionSets["bad name!"]`, "regions is required", `accounts "12"`} {
		assert.Contains(t, err.Error(), want)
	}
}

func ExampleRules_Decide() {
	r := rules.Rules{
		OrganizationID:  "o-a1b2c3d4e5",
		PermissionSets:  map[string]string{"Data_Eng_Admin": "admin"},
		SessionRoleName: "ssm-runas-session",
		Regions:         []string{"eu-west-1"},
	}
	d := r.Decide(rules.Caller{
		ARN:            "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Data_Eng_Admin_0123456789abcdef/alice@example.com",
		AccountID:      "222222222222",
		PrincipalOrgID: "o-a1b2c3d4e5",
	}, rules.Request{Target: "i-0123456789abcdef0", Region: "eu-west-1"})
	fmt.Println(d.Allowed, d.Identity.Person, d.Identity.PermissionSet, d.LinuxUser, d.SessionRoleARN)
	// Output: true alice@example.com Data_Eng_Admin admin arn:aws:iam::222222222222:role/ssm-runas-session-eu-west-1
}
