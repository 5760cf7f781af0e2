package runas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

// fakeWriter stands in for the real build, which has its own test; the
// components only need a file and its digest.
func fakeWriter(t *testing.T) artifact.Zip {
	t.Helper()
	p := filepath.Join(t.TempDir(), "writer.zip")
	require.NoError(t, os.WriteFile(p, []byte("zip"), 0o644))
	return artifact.Zip{Path: p, SHA256: strings.Repeat("ab", 32)}
}

func find(t *testing.T, rows []pulumimock.Row, typ, name string) pulumimock.Row {
	t.Helper()
	for _, r := range rows {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	require.Failf(t, "resource not registered", "%s %s", typ, name)
	return pulumimock.Row{}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// withProvider runs f with one explicit aws provider named "aws-<region>",
// as the programs pass them.
func withProvider(region string, f func(ctx *pulumi.Context, p pulumi.ProviderResource) error) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws-"+region, &aws.ProviderArgs{Region: pulumi.String(region)})
		if err != nil {
			return err
		}
		return f(ctx, p)
	}
}

func TestWriterArtifacts(t *testing.T) {
	w := fakeWriter(t)
	ready := 0
	rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		a, err := runas.NewWriterArtifacts(ctx, "artifacts", &runas.WriterArtifactsArgs{
			BucketName: "ssm-runas-artifacts-111111111111-eu-west-1", OrganizationID: "o-a1b2c3d4e5", Writer: w,
		}, pulumi.Provider(p))
		if err == nil {
			ready = len(a.Ready())
		}
		return err
	}))
	require.NoError(t, err)

	bucket := find(t, rows, "aws:s3/bucketV2:BucketV2", "artifacts")
	assert.Equal(t, "ssm-runas-artifacts-111111111111-eu-west-1", bucket.Inputs["bucket"])
	assert.Equal(t, false, bucket.Inputs["forceDestroy"])
	assert.Equal(t, "aws-eu-west-1", bucket.Provider, "children inherit the caller's provider")
	assert.Equal(t, "artifacts", bucket.Parent)

	pol := find(t, rows, "aws:s3/bucketPolicy:BucketPolicy", "artifacts-policy")
	assert.Contains(t, pol.Inputs["policy"], `"aws:PrincipalOrgID":"o-a1b2c3d4e5"`)
	assert.Contains(t, pol.Options.DependsOn, "artifacts-public-access", "the policy waits for the public access block")

	obj := find(t, rows, "aws:s3/bucketObjectv2:BucketObjectv2", "artifacts-writer-abababababab")
	assert.Equal(t, w.Key(), obj.Inputs["key"])
	assert.True(t, obj.Options.RetainOnDelete, "old writer zips stay for rollbacks")

	pab := find(t, rows, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "artifacts-public-access")
	assert.Equal(t, true, pab.Inputs["blockPublicPolicy"])
	assert.Equal(t, true, pab.Inputs["restrictPublicBuckets"])
	assert.Equal(t, 7, ready, "Ready covers the bucket, its four settings, the policy and the zip")
	assert.Empty(t, pulumimock.OfType(rows, "pulumi:providers:aws")[1:], "the component creates no provider")
}

func orgArgs(w artifact.Zip) *runas.OrgSessionPreferencesArgs {
	return &runas.OrgSessionPreferencesArgs{
		StackSetName: "ssm-runas-session-preferences", TemplateBody: `{"Resources":{}}`,
		Parameters: pulumi.StringMap{"ArtifactKey": pulumi.String(w.Key())},
		Targets:    []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"},
		Regions:    []string{"eu-west-1", "us-east-1"},
	}
}

func TestOrgSessionPreferences(t *testing.T) {
	w := fakeWriter(t)
	args := orgArgs(w)
	before := asJSON(t, args)
	rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		_, err := runas.NewOrgSessionPreferences(ctx, "prefs", args, pulumi.Provider(p))
		return err
	}))
	require.NoError(t, err)
	assert.Equal(t, before, asJSON(t, args), "the caller's args must not change")

	ss := find(t, rows, "aws:cloudformation/stackSet:StackSet", "prefs-stackset")
	in := ss.Inputs
	assert.Equal(t, "prefs", ss.Parent)
	assert.Equal(t, "aws-eu-west-1", ss.Provider, "the StackSet lives in the provider's region")
	assert.Equal(t, "SERVICE_MANAGED", in["permissionModel"])
	assert.Equal(t, "SELF", in["callAs"])
	assert.JSONEq(t, `{"enabled":true,"retainStacksOnAccountRemoval":false}`, asJSON(t, in["autoDeployment"]))
	assert.JSONEq(t, `["CAPABILITY_NAMED_IAM"]`, asJSON(t, in["capabilities"]))
	assert.JSONEq(t, `{"active":true}`, asJSON(t, in["managedExecution"]))
	assert.JSONEq(t, `{"failureTolerancePercentage":10,"maxConcurrentPercentage":25,"regionConcurrencyType":"SEQUENTIAL"}`, asJSON(t, in["operationPreferences"]))
	assert.Equal(t, []string{"administrationRoleArn"}, ss.Options.IgnoreChanges)
	assert.True(t, ss.Options.Protect, "a change that replaces the StackSet is refused")
	assert.Equal(t, map[string]string{"create": "6h0m0s", "update": "6h0m0s", "delete": "6h0m0s"}, ss.Options.Timeouts)

	instances := pulumimock.OfType(rows, "aws:cloudformation/stackSetInstance:StackSetInstance")
	require.Len(t, instances, 4, "one instance per (target, region)")
	for _, target := range args.Targets {
		for _, region := range args.Regions {
			inst := find(t, rows, "aws:cloudformation/stackSetInstance:StackSetInstance", "prefs-"+target+"-"+region)
			assert.Equal(t, region, inst.Inputs["region"])
			assert.JSONEq(t, `{"organizationalUnitIds":["`+target+`"]}`, asJSON(t, inst.Inputs["deploymentTargets"]))
			assert.JSONEq(t, `{"concurrencyMode":"SOFT_FAILURE_TOLERANCE","failureTolerancePercentage":10,"maxConcurrentPercentage":25,"regionConcurrencyType":"SEQUENTIAL"}`,
				asJSON(t, inst.Inputs["operationPreferences"]))
			assert.Equal(t, "aws-eu-west-1", inst.Provider)
			assert.Equal(t, "6h0m0s", inst.Options.Timeouts["delete"])
		}
	}
}

// TestOrgSessionPreferencesAddTargetKeepsNames: adding a target or a region
// only adds instance names; every existing name, and so every existing
// instance, stays.
func TestOrgSessionPreferencesAddTargetKeepsNames(t *testing.T) {
	w := fakeWriter(t)
	names := func(args *runas.OrgSessionPreferencesArgs) []string {
		rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
			_, err := runas.NewOrgSessionPreferences(ctx, "prefs", args, pulumi.Provider(p))
			return err
		}))
		require.NoError(t, err)
		var out []string
		for _, r := range pulumimock.OfType(rows, "aws:cloudformation/stackSetInstance:StackSetInstance") {
			out = append(out, r.Name+" "+asJSON(t, r.Inputs))
		}
		return out
	}
	before := names(orgArgs(w))
	grown := orgArgs(w)
	grown.Targets = append(grown.Targets, "ou-a1b2-newteam1")
	grown.Regions = append(grown.Regions, "ap-southeast-2")
	after := names(grown)
	assert.Subset(t, after, before)
	assert.Len(t, after, 9)
}

func TestAccountSessionPreferences(t *testing.T) {
	rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		_, err := runas.NewAccountSessionPreferences(ctx, "management-eu-west-1", &runas.AccountSessionPreferencesArgs{
			StackName: "ssm-runas-session-preferences", TemplateBody: `{"Resources":{}}`,
		}, pulumi.Provider(p))
		return err
	}))
	require.NoError(t, err)
	st := find(t, rows, "aws:cloudformation/stack:Stack", "management-eu-west-1-stack")
	assert.Equal(t, "aws-eu-west-1", st.Provider)
	assert.JSONEq(t, `["CAPABILITY_NAMED_IAM"]`, asJSON(t, st.Inputs["capabilities"]))
	assert.Equal(t, "ROLLBACK", st.Inputs["onFailure"])
}

func TestSessionGuardrail(t *testing.T) {
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewSessionGuardrail(ctx, "guardrail", &runas.SessionGuardrailArgs{
			PolicyName: "protect", Targets: []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"},
			SCP: policy.SCPArgs{StackSetName: "ssm-runas-session-preferences", ExemptRoleARNs: []string{"arn:aws:iam::*:role/platform-pipeline"}},
		})
		return err
	})
	require.NoError(t, err)
	scp := find(t, rows, "aws:organizations/policy:Policy", "guardrail-scp")
	assert.Equal(t, "guardrail", scp.Parent)
	assert.Equal(t, "SERVICE_CONTROL_POLICY", scp.Inputs["type"])
	want, err := policy.GuardrailSCP(policy.SCPArgs{StackSetName: "ssm-runas-session-preferences", ExemptRoleARNs: []string{"arn:aws:iam::*:role/platform-pipeline"}})
	require.NoError(t, err)
	assert.JSONEq(t, string(want.JSON()), scp.Inputs["content"].(string), "the SCP is exactly policy.GuardrailSCP")
	assert.Contains(t, scp.Inputs["content"], "platform-pipeline")
	for _, target := range []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"} {
		a := find(t, rows, "aws:organizations/policyAttachment:PolicyAttachment", "guardrail-attach-"+target)
		assert.Equal(t, "guardrail", a.Parent)
		assert.Equal(t, target, a.Inputs["targetId"])
		assert.Equal(t, "protect", a.Inputs["policyId"])
	}
}

func TestComponentsRefuseMissingArgs(t *testing.T) {
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewOrgSessionPreferences(ctx, "a", nil)
		assert.ErrorContains(t, err, "args are required")
		_, err = runas.NewOrgSessionPreferences(ctx, "b", &runas.OrgSessionPreferencesArgs{})
		assert.ErrorContains(t, err, "StackSetName, TemplateBody, Targets and Regions are required")
		_, err = runas.NewOrgSessionPreferences(ctx, "c", &runas.OrgSessionPreferencesArgs{StackSetName: "s", TemplateBody: "{}", Targets: []string{"123456789012"}, Regions: []string{"eu-west-1"}})
		assert.ErrorContains(t, err, "must be a root id")
		_, err = runas.NewSessionGuardrail(ctx, "d", nil)
		assert.ErrorContains(t, err, "args are required")
		_, err = runas.NewWriterArtifacts(ctx, "e", &runas.WriterArtifactsArgs{BucketName: "b", OrganizationID: "o-a1b2c3d4e5"})
		assert.ErrorContains(t, err, "Writer is required")
		_, err = runas.NewAccessControlAttributes(ctx, "f", &runas.AccessControlAttributesArgs{InstanceARN: "arn", RunAsSource: "${path:title}",
			Others: []runas.AccessControlAttribute{{Key: runas.RunAsTagKey, Source: "${path:x}"}}})
		assert.ErrorContains(t, err, "may appear once")
		_, err = runas.NewRoleAccess(ctx, "g", &runas.RoleAccessArgs{InstanceARN: "arn"})
		assert.ErrorContains(t, err, "set either PermissionSet or ExistingPermissionSetARN")
		_, err = runas.NewRoleAccess(ctx, "h", &runas.RoleAccessArgs{InstanceARN: "arn", ExistingPermissionSetARN: psARN, AccountIDs: []string{"ou-a1b2-workloads1"}})
		assert.ErrorContains(t, err, "must be 12 digits")
		_, err = runas.NewIdentityCenterApp(ctx, "i", &runas.IdentityCenterAppArgs{})
		assert.ErrorContains(t, err, "are required")
		return nil
	})
	require.NoError(t, err)
}

func TestAccessControlAttributes(t *testing.T) {
	for _, adopt := range []bool{false, true} {
		rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
			_, err := runas.NewAccessControlAttributes(ctx, "ic", &runas.AccessControlAttributesArgs{
				InstanceARN: "arn:aws:sso:::instance/ssoins-1234567890abcdef",
				RunAsSource: "${path:enterprise.costCenter}",
				Others:      []runas.AccessControlAttribute{{Key: "Department", Source: "${path:enterprise.department}"}},
				Adopt:       adopt,
			}, pulumi.Provider(p))
			return err
		}))
		require.NoError(t, err)
		abac := find(t, rows, "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes", "ic-abac")
		assert.Equal(t, "ic", abac.Parent)
		assert.Equal(t, "aws-eu-west-1", abac.Provider)
		assert.JSONEq(t, `[{"key":"SSMSessionRunAs","values":[{"sources":["${path:enterprise.costCenter}"]}]},{"key":"Department","values":[{"sources":["${path:enterprise.department}"]}]}]`,
			asJSON(t, abac.Inputs["attributes"]))
		if adopt {
			require.NotNil(t, abac.Options)
			assert.Equal(t, "arn:aws:sso:::instance/ssoins-1234567890abcdef", abac.Options.ImportID, "adoption imports the instance's configuration")
		} else {
			assert.Nil(t, abac.Options)
		}
	}
}

const psARN = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"

func roleAccess(t *testing.T, name string, args *runas.RoleAccessArgs) []pulumimock.Row {
	t.Helper()
	rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		_, err := runas.NewRoleAccess(ctx, name, args, pulumi.Provider(p))
		return err
	}))
	require.NoError(t, err)
	return rows
}

func adminArgs() *runas.RoleAccessArgs {
	return &runas.RoleAccessArgs{
		InstanceARN: "arn:aws:sso:::instance/ssoins-1234567890abcdef",
		PermissionSet: &runas.PermissionSetArgs{
			Name: "SSM-Admin", Description: "ssm-runas: Session Manager as admin", SessionDuration: "PT4H",
			Policy: policy.PermissionSetPolicyArgs{AllowedDocuments: []string{"AWS-StartPortForwardingSession"}},
			PolicyARNs: []string{
				"arn:aws:iam::aws:policy/ReadOnlyAccess",
				"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
				"arn:aws:iam::123456789012:policy/ViewOnlyAccess",
				"arn:aws:iam::123456789012:policy/team/ops/Extra",
			},
		},
		GroupID:    "group-SG-AWS-SSM-Admin",
		AccountIDs: []string{"333333333333", "222222222222", "333333333333"},
	}
}

func TestRoleAccess(t *testing.T) {
	t.Run("created permission set", func(t *testing.T) {
		args := adminArgs()
		before := asJSON(t, args)
		rows := roleAccess(t, "role-admin", args)
		assert.Equal(t, before, asJSON(t, args), "the caller's args must not change")

		ps := find(t, rows, "aws:ssoadmin/permissionSet:PermissionSet", "permission-set-SSM-Admin")
		assert.Equal(t, "role-admin", ps.Parent)
		assert.Equal(t, "SSM-Admin", ps.Inputs["name"])
		assert.Equal(t, "PT4H", ps.Inputs["sessionDuration"])
		assert.Equal(t, "aws-eu-west-1", ps.Provider)
		inline := find(t, rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy", "permission-set-SSM-Admin-session-policy")
		assert.JSONEq(t, string(policy.PermissionSetSessionPolicy(args.PermissionSet.Policy).JSON()), inline.Inputs["inlinePolicy"].(string))

		// Policies sharing a last segment get distinct names; AWS managed
		// ones attach by ARN, customer managed ones by name and path.
		managed := pulumimock.OfType(rows, "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment")
		customer := pulumimock.OfType(rows, "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment")
		require.Len(t, managed, 2)
		require.Len(t, customer, 2)
		find(t, rows, "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment", "permission-set-SSM-Admin-policy-aws:policy/job-function/ViewOnlyAccess")
		c := find(t, rows, "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment", "permission-set-SSM-Admin-policy-123456789012:policy/team/ops/Extra")
		assert.JSONEq(t, `{"name":"Extra","path":"/team/ops/"}`, asJSON(t, c.Inputs["customerManagedPolicyReference"]))
		c = find(t, rows, "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment", "permission-set-SSM-Admin-policy-123456789012:policy/ViewOnlyAccess")
		assert.JSONEq(t, `{"name":"ViewOnlyAccess","path":"/"}`, asJSON(t, c.Inputs["customerManagedPolicyReference"]))

		assignments := pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment")
		require.Len(t, assignments, 2, "accounts are distinct")
		a := find(t, rows, "aws:ssoadmin/accountAssignment:AccountAssignment", "permission-set-SSM-Admin-assign-333333333333")
		assert.Equal(t, "group-SG-AWS-SSM-Admin", a.Inputs["principalId"])
		assert.Equal(t, "GROUP", a.Inputs["principalType"])
		assert.Equal(t, "AWS_ACCOUNT", a.Inputs["targetType"])
		assert.Subset(t, a.Options.DependsOn, []string{"permission-set-SSM-Admin-session-policy", "permission-set-SSM-Admin-policy-aws:policy/ReadOnlyAccess"},
			"nobody is assigned before the Run As deny is in place")
	})

	t.Run("renaming the role keeps every resource name", func(t *testing.T) {
		names := func(component string) []string {
			var out []string
			for _, r := range roleAccess(t, component, adminArgs()) {
				if r.Parent == component {
					out = append(out, r.Type+" "+r.Name)
				}
			}
			return out
		}
		assert.ElementsMatch(t, names("role-admin"), names("role-administrator"))
	})

	t.Run("group not provisioned yet", func(t *testing.T) {
		args := adminArgs()
		args.GroupID = ""
		rows := roleAccess(t, "role-admin", args)
		assert.Empty(t, pulumimock.OfType(rows, "aws:ssoadmin/accountAssignment:AccountAssignment"))
		assert.Len(t, pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet"), 1)
	})

	t.Run("existing permission set", func(t *testing.T) {
		rows := roleAccess(t, "role-developer", &runas.RoleAccessArgs{
			InstanceARN: "arn:aws:sso:::instance/ssoins-1234567890abcdef", ExistingPermissionSetARN: psARN,
			GroupID: "group-dev", AccountIDs: []string{"222222222222"},
		})
		assert.Empty(t, pulumimock.OfType(rows, "aws:ssoadmin/permissionSet:PermissionSet"), "an existing permission set is not created")
		assert.Empty(t, pulumimock.OfType(rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"), "nor its policy replaced")
		a := find(t, rows, "aws:ssoadmin/accountAssignment:AccountAssignment", "permission-set-ps-1234567890abcdef-assign-222222222222")
		assert.Equal(t, psARN, a.Inputs["permissionSetArn"])
	})
}

func entraArgs() *runas.IdentityCenterAppArgs {
	return &runas.IdentityCenterAppArgs{
		TenantID: "61318f71-9c58-4f75-b8af-329e649fcd80", DisplayName: "AWS IAM Identity Center",
		IdentifierURI: "https://eu-west-1.signin.aws/platform/saml/d-9067a1b2c3",
		ACSURLs:       []string{"https://eu-west-1.signin.aws/platform/saml/acs/7d2c5f4e-3b1a-4c9d-8e7f-6a5b4c3d2e1f"},
		SCIMEndpoint:  "https://scim.eu-west-1.amazonaws.com/a1b2c3d4e5f6-7a8b-9c0d/scim/v2",
		SCIMToken:     pulumi.ToSecret(pulumi.String("tok")).(pulumi.StringOutput),
		Groups:        []string{"SG-AWS-SSM-Admin", "SG-AWS-SSM-Developer"},
	}
}

func TestIdentityCenterApp(t *testing.T) {
	args := entraArgs()
	rec := &pulumimock.Recorder{EntraGroups: args.Groups}
	rows, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error {
		_, err := runas.NewIdentityCenterApp(ctx, "entra", args)
		return err
	})
	require.NoError(t, err)
	app := find(t, rows, "azuread:index/applicationFromTemplate:ApplicationFromTemplate", "entra-app")
	assert.Equal(t, "entra", app.Parent)
	assert.Equal(t, runas.GalleryTemplateID, app.Inputs["templateId"])
	sp := find(t, rows, "azuread:index/servicePrincipal:ServicePrincipal", "entra-sp")
	assert.Equal(t, "saml", sp.Inputs["preferredSingleSignOnMode"])
	assert.Equal(t, true, sp.Inputs["useExisting"])
	reply := find(t, rows, "azuread:index/applicationRedirectUris:ApplicationRedirectUris", "entra-reply-urls")
	assert.Equal(t, asJSON(t, args.ACSURLs), asJSON(t, reply.Inputs["redirectUris"]))
	assert.Equal(t, "Web", reply.Inputs["type"])
	secret := find(t, rows, "azuread:index/synchronizationSecret:SynchronizationSecret", "entra-scim-secret")
	assert.JSONEq(t, `[{"key":"BaseAddress","value":"`+args.SCIMEndpoint+`"},{"key":"SecretToken","value":"[secret]"}]`, asJSON(t, secret.Inputs["credentials"]))
	job := find(t, rows, "azuread:index/synchronizationJob:SynchronizationJob", "entra-scim-job")
	assert.Equal(t, "aWSSingleSignon", job.Inputs["templateId"])
	assert.Equal(t, "entra-app-sp-object-id", job.Inputs["servicePrincipalId"])
	assert.Contains(t, job.Options.DependsOn, "entra-scim-secret", "the job starts only once the token is stored")
	find(t, rows, "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate", "entra-signing-certificate")
	a := find(t, rows, "azuread:index/appRoleAssignment:AppRoleAssignment", "entra-assign-SG-AWS-SSM-Developer")
	// The gallery roles have null values: the role is found by display name.
	assert.Equal(t, "8774f594-1d59-4279-b9d9-59ef09a23530", a.Inputs["appRoleId"])
	assert.Equal(t, "entra-group-SG-AWS-SSM-Developer", a.Inputs["principalObjectId"])
}

func TestIdentityCenterAppWithoutToken(t *testing.T) {
	args := entraArgs()
	args.SCIMToken = nil
	rows, err := pulumimock.RunWith(&pulumimock.Recorder{EntraGroups: args.Groups}, func(ctx *pulumi.Context) error {
		_, err := runas.NewIdentityCenterApp(ctx, "entra", args)
		return err
	})
	require.NoError(t, err)
	assert.Empty(t, pulumimock.OfType(rows, "azuread:index/synchronizationJob:SynchronizationJob"))
	assert.Empty(t, pulumimock.OfType(rows, "azuread:index/synchronizationSecret:SynchronizationSecret"))
	assert.Len(t, pulumimock.OfType(rows, "azuread:index/appRoleAssignment:AppRoleAssignment"), 2)
}

func TestIdentityCenterAppFailures(t *testing.T) {
	t.Run("unknown app role", func(t *testing.T) {
		args := entraArgs()
		args.AppRoleName = "Admin"
		_, err := pulumimock.RunWith(&pulumimock.Recorder{EntraGroups: args.Groups}, func(ctx *pulumi.Context) error {
			_, err := runas.NewIdentityCenterApp(ctx, "entra", args)
			return err
		})
		assert.ErrorContains(t, err, `no app role named "Admin" (it has User, msiam_access)`)
	})
	t.Run("missing Entra group", func(t *testing.T) {
		_, err := pulumimock.Run(func(ctx *pulumi.Context) error {
			_, err := runas.NewIdentityCenterApp(ctx, "entra", entraArgs())
			return err
		})
		assert.ErrorContains(t, err, `looking up the Entra security group "SG-AWS-SSM-Admin" (create it in Entra first)`)
	})
}

func TestDuplicateNamesFail(t *testing.T) {
	_, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		if _, err := runas.NewAccountSessionPreferences(ctx, "m", &runas.AccountSessionPreferencesArgs{StackName: "s", TemplateBody: "{}"}, pulumi.Provider(p)); err != nil {
			return err
		}
		_, err := runas.NewAccountSessionPreferences(ctx, "m", &runas.AccountSessionPreferencesArgs{StackName: "s", TemplateBody: "{}"}, pulumi.Provider(p))
		return err
	}))
	assert.ErrorContains(t, err, "Duplicate resource URN")
}
