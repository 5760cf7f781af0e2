package engine

import (
	"context"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func urn(typ, name string) resource.URN {
	return resource.NewURN(tokens.QName(stackName), tokens.PackageName(projectName), "", tokens.Type(typ), name)
}

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

// configured returns a fake provider of pkg configured for eu-west-1.
func configured(t *testing.T, w *World, pkg string) plugin.Provider {
	t.Helper()
	version := awsVersion
	if pkg == "azuread" {
		version = azureadVersion
	}
	p := w.newProvider(pkg, version)
	_, err := p.Configure(context.Background(), plugin.ConfigureRequest{Inputs: props(map[string]any{"region": "eu-west-1"})})
	require.NoError(t, err)
	return p
}

func create(t *testing.T, p plugin.Provider, typ, name string, in map[string]any) (plugin.CreateResponse, error) {
	t.Helper()
	return p.Create(context.Background(), plugin.CreateRequest{URN: urn(typ, name), Properties: props(in)})
}

// TestEverySchemaRowHasAFake keeps the table and the fakes in step: a type
// with a schema row but no fake (or the reverse) would be refused at run
// time with a less clear message.
func TestEverySchemaRowHasAFake(t *testing.T) {
	var rows, fakes []string
	for typ, s := range schemas {
		rows = append(rows, typ)
		assert.NotEmpty(t, s.source, "%s: the row must say where it was read", typ)
	}
	for typ := range handlers {
		fakes = append(fakes, typ)
	}
	sort.Strings(rows)
	sort.Strings(fakes)
	assert.Equal(t, rows, fakes)
}

// TestDiffFollowsTheProviderSchema checks the fake Diff against the rules
// of a Terraform plan on the bridged providers.
func TestDiffFollowsTheProviderSchema(t *testing.T) {
	checkDiffs(t, []diffCase{
		{
			name:      "an OU added to a StackSet instance replaces it (deployment_targets is ForceNew)",
			typ:       typeStackSetInstance,
			oldInputs: map[string]any{"stackSetName": "s", "region": "eu-west-1", "deploymentTargets": map[string]any{"organizationalUnitIds": []any{"ou-a1b2-workloads1"}}},
			news:      map[string]any{"stackSetName": "s", "region": "eu-west-1", "deploymentTargets": map[string]any{"organizationalUnitIds": []any{"ou-a1b2-workloads1", "ou-a1b2-newteam01"}}},
			changed:   []resource.PropertyKey{"deploymentTargets"},
			replace:   []resource.PropertyKey{"deploymentTargets"},
		},
		{
			name:      "a new template updates a StackSet in place",
			typ:       typeStackSet,
			oldInputs: map[string]any{"name": "s", "templateBody": "{}"},
			news:      map[string]any{"name": "s", "templateBody": `{"Resources":{}}`},
			changed:   []resource.PropertyKey{"templateBody"},
		},
		{
			name:      "administrationRoleArn reported by the service and absent from the program is a change",
			typ:       typeStackSet,
			oldInputs: map[string]any{"name": "s", "permissionModel": "SERVICE_MANAGED"},
			oldOutput: map[string]any{"name": "s", "permissionModel": "SERVICE_MANAGED", "administrationRoleArn": serviceLinkedStackSetRole("111111111111"), "arn": "arn:aws:cloudformation:eu-west-1:111111111111:stackset/s:1"},
			news:      map[string]any{"name": "s", "permissionModel": "SERVICE_MANAGED"},
			changed:   []resource.PropertyKey{"administrationRoleArn"},
		},
		{
			name:      "ignoreChanges on administrationRoleArn hides it",
			typ:       typeStackSet,
			oldInputs: map[string]any{"name": "s", "permissionModel": "SERVICE_MANAGED"},
			oldOutput: map[string]any{"name": "s", "permissionModel": "SERVICE_MANAGED", "administrationRoleArn": serviceLinkedStackSetRole("111111111111")},
			news:      map[string]any{"name": "s", "permissionModel": "SERVICE_MANAGED"},
			ignore:    []string{"administrationRoleArn"},
		},
		{
			name:      "auto-deployment settings replace the StackSet",
			typ:       typeStackSet,
			oldInputs: map[string]any{"name": "s", "autoDeployment": map[string]any{"enabled": true, "retainStacksOnAccountRemoval": false}},
			news:      map[string]any{"name": "s", "autoDeployment": map[string]any{"enabled": true, "retainStacksOnAccountRemoval": true}},
			changed:   []resource.PropertyKey{"autoDeployment"},
			replace:   []resource.PropertyKey{"autoDeployment"},
		},
		{
			name:      "a computed end date the program leaves out is no change",
			typ:       typeSigningCertificate,
			oldInputs: map[string]any{"servicePrincipalId": "5e5e0001-0001-4001-8001-000000000001"},
			oldOutput: map[string]any{"servicePrincipalId": "5e5e0001-0001-4001-8001-000000000001", "endDate": "2029-01-01T00:00:00Z", "thumbprint": "AB"},
			news:      map[string]any{"servicePrincipalId": "5e5e0001-0001-4001-8001-000000000001"},
		},
		{
			name:      "a renamed permission set is replaced",
			typ:       typePermissionSet,
			oldInputs: map[string]any{"name": "SSM-Support", "instanceArn": "arn:aws:sso:::instance/ssoins-1"},
			news:      map[string]any{"name": "SSM-Helpdesk", "instanceArn": "arn:aws:sso:::instance/ssoins-1"},
			changed:   []resource.PropertyKey{"name"},
			replace:   []resource.PropertyKey{"name"},
		},
		{
			name:      "a new writer key replaces the uploaded object",
			typ:       typeBucketObject,
			oldInputs: map[string]any{"bucket": "b", "key": "ssm-prefs-writer/aa.zip"},
			news:      map[string]any{"bucket": "b", "key": "ssm-prefs-writer/bb.zip"},
			changed:   []resource.PropertyKey{"key"},
			replace:   []resource.PropertyKey{"key"},
		},
		{
			name:      "a description the program drops is set to null",
			typ:       typePermissionSet,
			oldInputs: map[string]any{"name": "SSM-Support", "instanceArn": "i", "description": "old"},
			news:      map[string]any{"name": "SSM-Support", "instanceArn": "i"},
			changed:   []resource.PropertyKey{"description"},
		},
		{
			name:      "secrecy alone is no change",
			typ:       typeSynchronizationSecret,
			oldInputs: map[string]any{"servicePrincipalId": "sp", "credentials": []any{map[string]any{"key": "SecretToken", "value": "t"}}},
			news: map[string]any{"servicePrincipalId": "sp", "credentials": []any{map[string]any{"key": "SecretToken",
				"value": resource.MakeSecret(resource.NewStringProperty("t"))}}},
		},
	})
}

// diffCase is one fake Diff call and what it must find. oldInputs and
// oldOutput each stand for the other when left out.
type diffCase struct {
	name                 string
	typ                  string
	oldInputs, oldOutput map[string]any
	news                 map[string]any
	ignore               []string
	changed, replace     []resource.PropertyKey
}

// checkDiffs runs the fake Diff of each case's type: no change when
// changed is empty, else exactly the changed and replaced keys.
func checkDiffs(t *testing.T, cases []diffCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			olds, outs := tc.oldInputs, tc.oldOutput
			if olds == nil {
				olds = outs
			}
			if outs == nil {
				outs = olds
			}
			got := diff(schemas[tc.typ], plugin.DiffRequest{
				URN: urn(tc.typ, "r"), OldInputs: props(olds), OldOutputs: props(outs), NewInputs: props(tc.news), IgnoreChanges: tc.ignore,
			})
			if len(tc.changed) == 0 {
				assert.Equal(t, plugin.DiffNone, got.Changes, "changed keys %v", got.ChangedKeys)
				return
			}
			assert.Equal(t, plugin.DiffSome, got.Changes)
			assert.ElementsMatch(t, tc.changed, got.ChangedKeys)
			assert.ElementsMatch(t, tc.replace, got.ReplaceKeys)
		})
	}
}

// TestFunctionsAnswerLikeTheDataSources checks the lookups against the
// real data sources' behaviour, "not found" included.
func TestFunctionsAnswerLikeTheDataSources(t *testing.T) {
	w := NewWorld()
	aws := configured(t, w, "aws")
	getGroup := func() (plugin.InvokeResponse, error) {
		return aws.Invoke(context.Background(), plugin.InvokeRequest{Tok: "aws:identitystore/getGroup:getGroup", Args: props(map[string]any{
			"identityStoreId":     w.IdentityStoreID,
			"alternateIdentifier": map[string]any{"uniqueAttribute": map[string]any{"attributePath": "DisplayName", "attributeValue": "SG-AWS-SSM-Admin"}},
		})})
	}

	_, err := getGroup()
	require.Error(t, err, "a group SCIM has not provisioned is not found")
	assert.Contains(t, err.Error(), "ResourceNotFoundException")

	groups, err := aws.Invoke(context.Background(), plugin.InvokeRequest{Tok: "aws:identitystore/getGroups:getGroups",
		Args: props(map[string]any{"identityStoreId": w.IdentityStoreID})})
	require.NoError(t, err)
	assert.Empty(t, groups.Properties["groups"].ArrayValue(), "an identity store SCIM has not provisioned is empty")

	w.ProvisionGroups("SG-AWS-SSM-Admin")
	got, err := getGroup()
	require.NoError(t, err)
	assert.Regexp(t, principalIDPattern, got.Properties["groupId"].StringValue(), "identity store group ids")

	accounts, err := aws.Invoke(context.Background(), plugin.InvokeRequest{
		Tok:  "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts",
		Args: props(map[string]any{"parentId": "ou-a1b2-workloads1"})})
	require.NoError(t, err)
	for _, a := range accounts.Properties["accounts"].ArrayValue() {
		assert.Regexp(t, accountIDPattern, a.ObjectValue()["id"].StringValue(), "OUs hold 12-digit accounts")
	}
	_, err = aws.Invoke(context.Background(), plugin.InvokeRequest{
		Tok:  "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts",
		Args: props(map[string]any{"parentId": "ou-a1b2-unknown01"})})
	assert.ErrorContains(t, err, "ParentNotFoundException")

	entra := configured(t, w, "azuread")
	app, err := create(t, entra, typeAppFromTemplate, "app", map[string]any{"templateId": galleryTemplateID, "displayName": "AWS IAM Identity Center"})
	require.NoError(t, err)
	sp, err := entra.Invoke(context.Background(), plugin.InvokeRequest{Tok: "azuread:index/getServicePrincipal:getServicePrincipal",
		Args: props(map[string]any{"objectId": app.Properties["servicePrincipalObjectId"].StringValue()})})
	require.NoError(t, err)
	assert.Empty(t, sp.Properties["appRoleIds"].ObjectValue(), "app_role_ids is keyed by value, and the gallery roles have none")
	var names []string
	for _, r := range sp.Properties["appRoles"].ArrayValue() {
		names = append(names, r.ObjectValue()["displayName"].StringValue())
		assert.Empty(t, r.ObjectValue()["value"].StringValue())
	}
	assert.ElementsMatch(t, []string{"User", "msiam_access"}, names)

	_, err = entra.Invoke(context.Background(), plugin.InvokeRequest{Tok: "azuread:index/getGroup:getGroup",
		Args: props(map[string]any{"displayName": "SG-Nobody"})})
	assert.ErrorContains(t, err, "No group found")
}

// TestWorldRefusesWhatTheServicesRefuse checks the refusals the scenarios
// rely on.
func TestWorldRefusesWhatTheServicesRefuse(t *testing.T) {
	w := NewWorld()
	aws := configured(t, w, "aws")
	inst := "arn:aws:sso:::instance/ssoins-72230e1a2b3c4d5e"

	ps, err := create(t, aws, typePermissionSet, "a", map[string]any{"instanceArn": inst, "name": "SSM-Support"})
	require.NoError(t, err)
	_, err = create(t, aws, typePermissionSet, "b", map[string]any{"instanceArn": inst, "name": "SSM-Support"})
	assert.ErrorContains(t, err, "ConflictException", "a second permission set with the same name")

	_, err = create(t, aws, typeAccessControlAttrs, "abac", map[string]any{"instanceArn": inst})
	require.NoError(t, err)
	_, err = create(t, aws, typeAccessControlAttrs, "abac-2", map[string]any{"instanceArn": inst})
	assert.ErrorContains(t, err, "ConflictException", "a second ABAC configuration on the instance")

	_, err = create(t, aws, typeAccountAssignment, "assign", map[string]any{
		"instanceArn": inst, "permissionSetArn": ps.Properties["arn"].StringValue(),
		"principalId": "9067a1b2c3-5e5e0099-0099-4099-8099-000000000099", "principalType": "GROUP",
		"targetId": "333333333333", "targetType": "AWS_ACCOUNT"})
	assert.ErrorContains(t, err, "does not exist in identity store", "an assignment to a group SCIM has not provisioned")

	_, err = create(t, aws, typeManagedPolicy, "customer", map[string]any{
		"instanceArn": inst, "permissionSetArn": ps.Properties["arn"].StringValue(),
		"managedPolicyArn": "arn:aws:iam::111111111111:policy/corp-ssm"})
	assert.ErrorContains(t, err, "not an AWS managed policy")

	bucket, err := create(t, aws, typeBucket, "bucket", map[string]any{"bucket": "artifacts"})
	require.NoError(t, err)
	_, err = create(t, aws, typeBucketVersioning, "versioning", map[string]any{"bucket": "artifacts",
		"versioningConfiguration": map[string]any{"status": "Enabled"}})
	require.NoError(t, err)
	obj, err := create(t, aws, typeBucketObject, "writer", map[string]any{"bucket": "artifacts", "key": "k.zip"})
	require.NoError(t, err)
	_, err = aws.Delete(context.Background(), plugin.DeleteRequest{URN: urn(typeBucketObject, "writer"), ID: obj.ID})
	require.NoError(t, err)
	_, err = aws.Delete(context.Background(), plugin.DeleteRequest{URN: urn(typeBucket, "bucket"), ID: bucket.ID,
		Inputs: props(map[string]any{"bucket": "artifacts"})})
	assert.ErrorContains(t, err, "BucketNotEmpty", "a versioned bucket keeps the versions of deleted objects")

	set, err := create(t, aws, typeStackSet, "ss", map[string]any{"name": "ssm-runas", "permissionModel": "SERVICE_MANAGED"})
	require.NoError(t, err)
	assert.Equal(t, serviceLinkedStackSetRole(w.ManagementAccount), set.Properties["administrationRoleArn"].StringValue(),
		"DescribeStackSet reports the service-linked role of a service-managed StackSet")
	_, err = create(t, aws, typeStackSet, "ss-2", map[string]any{"name": "ssm-runas", "permissionModel": "SERVICE_MANAGED"})
	assert.ErrorContains(t, err, "NameAlreadyExistsException", "a replacement StackSet with the same name")
}

// TestProviderRegionChangeReplaces checks the aws provider's DiffConfig: a
// resource moving to a provider of another region is replaced, as
// pulumi-aws does since it marks region ForcesProviderReplace.
func TestProviderRegionChangeReplaces(t *testing.T) {
	p := NewWorld().newProvider("aws", awsVersion)
	cases := []struct {
		name      string
		old, new  map[string]any
		changes   plugin.DiffChanges
		replacing bool
	}{
		{"same region", map[string]any{"region": "eu-west-1"}, map[string]any{"region": "eu-west-1", "version": awsVersion}, plugin.DiffNone, false},
		{"other region", map[string]any{"region": "eu-west-1"}, map[string]any{"region": "eu-central-1"}, plugin.DiffSome, true},
		{"region not recorded before", map[string]any{}, map[string]any{"region": "eu-central-1"}, plugin.DiffSome, false},
		{"other profile", map[string]any{"region": "eu-west-1"}, map[string]any{"region": "eu-west-1", "profile": "ops"}, plugin.DiffSome, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.DiffConfig(context.Background(), plugin.DiffConfigRequest{OldInputs: props(tc.old), NewInputs: props(tc.new)})
			require.NoError(t, err)
			assert.Equal(t, tc.changes, got.Changes)
			assert.Equal(t, tc.replacing, got.Replace())
		})
	}
}

// TestStackSetWithInstancesIsNotDeleted checks that DeleteStackSet is
// refused while the StackSet still has stack instances.
func TestStackSetWithInstancesIsNotDeleted(t *testing.T) {
	w := NewWorld()
	aws := configured(t, w, "aws")
	set, err := create(t, aws, typeStackSet, "ss", map[string]any{"name": "ssm-runas", "permissionModel": "SERVICE_MANAGED"})
	require.NoError(t, err)
	inst, err := create(t, aws, typeStackSetInstance, "i", map[string]any{"stackSetName": "ssm-runas", "region": "eu-west-1",
		"deploymentTargets": map[string]any{"organizationalUnitIds": []any{"ou-a1b2-workloads1"}}})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"333333333333/eu-west-1": 1, "444444444444/eu-west-1": 1}, w.MemberStacks())

	_, err = aws.Delete(context.Background(), plugin.DeleteRequest{URN: urn(typeStackSet, "ss"), ID: set.ID})
	assert.ErrorContains(t, err, "StackSetNotEmptyException")
	_, err = aws.Delete(context.Background(), plugin.DeleteRequest{URN: urn(typeStackSetInstance, "i"), ID: inst.ID})
	require.NoError(t, err)
	assert.Empty(t, w.MemberStacks(), "deleting the instance deletes its stacks")
	_, err = aws.Delete(context.Background(), plugin.DeleteRequest{URN: urn(typeStackSet, "ss"), ID: set.ID})
	assert.NoError(t, err)
}
