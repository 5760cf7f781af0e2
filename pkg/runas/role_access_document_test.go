package runas_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

// TestRoleAccessTakesAWholeDocument gives a permission set the broker
// callers' policy instead of the session policy: the inline policy is that
// document, under the same resource name (a switch updates it in place),
// and the assignments still wait for it.
func TestRoleAccessTakesAWholeDocument(t *testing.T) {
	caller, err := brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{BrokerFunctionARN: brokerARN})
	require.NoError(t, err)
	args := adminArgs()
	args.PermissionSet.Policy = policy.PermissionSetPolicyArgs{}
	args.PermissionSet.Document = &caller
	rows := roleAccess(t, "role-admin", args)

	inline := find(t, rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy", "permission-set-SSM-Admin-session-policy")
	assert.JSONEq(t, string(caller.JSON()), inline.Inputs["inlinePolicy"].(string))
	assert.NotContains(t, inline.Inputs["inlinePolicy"], `"Effect":"Allow","Action":"ssm:StartSession"`)
	for _, a := range pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment") {
		require.NotNil(t, a.Options)
		assert.Contains(t, a.Options.DependsOn, "permission-set-SSM-Admin-session-policy", "nobody is assigned before the policy is in place")
	}

	sessionRows := roleAccess(t, "role-admin", adminArgs())
	var names, sessionNames []string
	for _, r := range rows {
		names = append(names, r.Type+"::"+r.Name)
	}
	for _, r := range sessionRows {
		sessionNames = append(sessionNames, r.Type+"::"+r.Name)
	}
	assert.ElementsMatch(t, sessionNames, names, "switching to the broker renames nothing")
}

func TestRoleAccessRefusesPolicyAndDocumentTogether(t *testing.T) {
	caller, err := brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{BrokerFunctionARN: brokerARN})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		ps   func(*runas.PermissionSetArgs)
		want string
	}{
		{"both", func(ps *runas.PermissionSetArgs) { ps.Document = &caller }, "set PermissionSet.Policy or Document, not both"},
		{"empty document", func(ps *runas.PermissionSetArgs) {
			ps.Policy = policy.PermissionSetPolicyArgs{}
			ps.Document = &policy.Document{Version: policy.Version}
		}, "has no statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := adminArgs()
			tc.ps(args.PermissionSet)
			_, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
				_, err := runas.NewRoleAccess(ctx, "role-admin", args, pulumi.Provider(p))
				return err
			}))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
