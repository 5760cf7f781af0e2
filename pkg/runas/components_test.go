package runas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func exampleConfig(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeWriter stands in for the real build, which has its own test; the
// components only need a file and its digest.
func fakeWriter(t *testing.T) artifact.Zip {
	p := filepath.Join(t.TempDir(), "writer.zip")
	if err := os.WriteFile(p, []byte("zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	return artifact.Zip{Path: p, SHA256: strings.Repeat("ab", 32)}
}

func find(rows []pulumimock.Row, typ, name string) *pulumimock.Row {
	for i := range rows {
		if rows[i].Type == typ && rows[i].Name == name {
			return &rows[i]
		}
	}
	return nil
}

func count(rows []pulumimock.Row, typ string) int {
	n := 0
	for _, r := range rows {
		if r.Type == typ {
			n++
		}
	}
	return n
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestOrgSessionPreferences(t *testing.T) {
	c := exampleConfig(t)
	w := fakeWriter(t)
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewOrgSessionPreferences(ctx, "prefs", &runas.OrgSessionPreferencesArgs{
			Organization: c.Organization, Preferences: c.SessionPreferences, Writer: w,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	comp := find(rows, runas.OrgSessionPreferencesType, "prefs")
	if comp == nil || comp.Parent != "" {
		t.Fatalf("component row: %+v", comp)
	}

	ss := find(rows, "aws:cloudformation/stackSet:StackSet", "prefs-stackset")
	if ss == nil {
		t.Fatal("no StackSet")
	}
	in := ss.Inputs
	if ss.Parent != "prefs" || in["permissionModel"] != "SERVICE_MANAGED" || in["callAs"] != "SELF" ||
		asJSON(in["autoDeployment"]) != `{"enabled":true,"retainStacksOnAccountRemoval":false}` ||
		asJSON(in["capabilities"]) != `["CAPABILITY_NAMED_IAM"]` ||
		asJSON(in["managedExecution"]) != `{"active":true}` {
		t.Fatalf("StackSet inputs: %s", asJSON(ss))
	}
	params := in["parameters"].(map[string]any)
	if params[cfn.ParamArtifactKey] != w.Key() || params[cfn.ParamArtifactBucketPrefix] != "ssm-runas-artifacts-111111111111" {
		t.Fatalf("StackSet parameters: %v", params)
	}
	tpl, err := cfn.SessionPreferencesTemplate(&c.SessionPreferences, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in["templateBody"] != string(tpl.JSON()) {
		t.Fatal("the StackSet must carry exactly the template `runas stackset template` prints")
	}

	for _, region := range c.Organization.Regions {
		inst := find(rows, "aws:cloudformation/stackSetInstance:StackSetInstance", "prefs-instances-"+region)
		if inst == nil || inst.Parent != "prefs" || inst.Inputs["region"] != region ||
			asJSON(inst.Inputs["deploymentTargets"]) != `{"organizationalUnitIds":["ou-a1b2-workloads1","ou-a1b2-sandboxes1"]}` {
			t.Fatalf("instances in %s: %s", region, asJSON(inst))
		}
		op := asJSON(inst.Inputs["operationPreferences"])
		if op != `{"concurrencyMode":"SOFT_FAILURE_TOLERANCE","failureTolerancePercentage":10,"maxConcurrentPercentage":25,"regionConcurrencyType":"SEQUENTIAL"}` {
			t.Fatalf("operation preferences in %s: %s", region, op)
		}

		provider := "prefs-" + region
		bucket := find(rows, "aws:s3/bucketV2:BucketV2", "prefs-artifacts-"+region)
		if bucket == nil || bucket.Provider != provider || bucket.Inputs["bucket"] != "ssm-runas-artifacts-111111111111-"+region {
			t.Fatalf("bucket in %s: %s", region, asJSON(bucket))
		}
		pol := find(rows, "aws:s3/bucketPolicy:BucketPolicy", "prefs-artifacts-"+region+"-policy")
		if pol == nil || !strings.Contains(pol.Inputs["policy"].(string), `"aws:PrincipalOrgID":"o-a1b2c3d4e5"`) || pol.Provider != provider {
			t.Fatalf("bucket policy in %s: %s", region, asJSON(pol))
		}
		obj := find(rows, "aws:s3/bucketObjectv2:BucketObjectv2", "prefs-artifacts-"+region+"-writer")
		if obj == nil || obj.Inputs["key"] != w.Key() || obj.Provider != provider {
			t.Fatalf("writer object in %s: %s", region, asJSON(obj))
		}
		pab := find(rows, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prefs-artifacts-"+region+"-public-access")
		if pab == nil || pab.Inputs["blockPublicPolicy"] != true || pab.Inputs["restrictPublicBuckets"] != true {
			t.Fatalf("public access block in %s: %s", region, asJSON(pab))
		}

		mgmt := find(rows, "aws:cloudformation/stack:Stack", "prefs-management-"+region)
		if mgmt == nil || mgmt.Provider != provider || mgmt.Inputs["templateBody"] != in["templateBody"] ||
			asJSON(mgmt.Inputs["capabilities"]) != `["CAPABILITY_NAMED_IAM"]` {
			t.Fatalf("management account stack in %s: %s", region, asJSON(mgmt))
		}
		p := find(rows, "pulumi:providers:aws", provider)
		if p == nil || p.Parent != "prefs" || p.Inputs["region"] != region {
			t.Fatalf("provider for %s: %s", region, asJSON(p))
		}
	}
	if n := count(rows, "aws:cloudformation/stackSetInstance:StackSetInstance"); n != 3 {
		t.Fatalf("%d instance sets, want one per region", n)
	}
}

func TestOrgSessionPreferencesManagementAccountOptions(t *testing.T) {
	c := exampleConfig(t)
	w := fakeWriter(t)

	t.Run("off", func(t *testing.T) {
		org := c.Organization
		org.ManagementAccount.Configure = new(bool)
		rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
			_, err := runas.NewOrgSessionPreferences(ctx, "prefs", &runas.OrgSessionPreferencesArgs{Organization: org, Preferences: c.SessionPreferences, Writer: w})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(rows, "aws:cloudformation/stack:Stack"); n != 0 {
			t.Fatalf("%d management stacks, want none", n)
		}
	})

	t.Run("through a role", func(t *testing.T) {
		org := c.Organization
		org.ManagementAccount.AssumeRoleARN = "arn:aws:iam::111111111111:role/ssm-runas-deploy"
		rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
			_, err := runas.NewOrgSessionPreferences(ctx, "prefs", &runas.OrgSessionPreferencesArgs{Organization: org, Preferences: c.SessionPreferences, Writer: w})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		p := find(rows, "pulumi:providers:aws", "prefs-management-eu-west-1")
		if p == nil || !strings.Contains(asJSON(p.Inputs["assumeRole"]), "ssm-runas-deploy") {
			t.Fatalf("management provider: %s", asJSON(p))
		}
		if st := find(rows, "aws:cloudformation/stack:Stack", "prefs-management-eu-west-1"); st == nil || st.Provider != "prefs-management-eu-west-1" {
			t.Fatalf("management stack: %s", asJSON(st))
		}
	})
}

func TestSessionGuardrail(t *testing.T) {
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewSessionGuardrail(ctx, "guardrail", &runas.SessionGuardrailArgs{
			PolicyName: "protect", Targets: []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"},
			ExemptRoleARNs: []string{"arn:aws:iam::*:role/platform-pipeline"},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	scp := find(rows, "aws:organizations/policy:Policy", "guardrail-scp")
	if scp == nil || scp.Parent != "guardrail" || scp.Inputs["type"] != "SERVICE_CONTROL_POLICY" {
		t.Fatalf("SCP: %s", asJSON(scp))
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Action    []string
			Resource  string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(scp.Inputs["content"].(string)), &doc); err != nil {
		t.Fatal(err)
	}
	st := doc.Statement[0]
	exempt := strings.Join(st.Condition["ArnNotLike"]["aws:PrincipalARN"], ",")
	if st.Effect != "Deny" || st.Resource != "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell" || len(st.Action) != 6 ||
		!strings.Contains(exempt, "stacksets-exec-*") || !strings.Contains(exempt, "ssm-runas-prefs-writer-*") || !strings.Contains(exempt, "platform-pipeline") {
		t.Fatalf("SCP content: %+v", st)
	}
	for _, target := range []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"} {
		a := find(rows, "aws:organizations/policyAttachment:PolicyAttachment", "guardrail-attach-"+target)
		if a == nil || a.Parent != "guardrail" || a.Inputs["targetId"] != target || a.Inputs["policyId"] != "protect" {
			t.Fatalf("attachment to %s: %s", target, asJSON(a))
		}
	}
}

func TestComponentsRefuseMissingArgs(t *testing.T) {
	_, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		if _, err := runas.NewOrgSessionPreferences(ctx, "x", nil); err == nil {
			t.Error("nil OrgSessionPreferencesArgs accepted")
		}
		if _, err := runas.NewOrgSessionPreferences(ctx, "x", &runas.OrgSessionPreferencesArgs{}); err == nil {
			t.Error("undefaulted organization accepted")
		}
		if _, err := runas.NewSessionGuardrail(ctx, "y", nil); err == nil {
			t.Error("nil SessionGuardrailArgs accepted")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccessControlAttributes(t *testing.T) {
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewAccessControlAttributes(ctx, "ic", &runas.AccessControlAttributesArgs{
			InstanceARN: "arn:aws:sso:::instance/ssoins-1234567890abcdef", Region: "eu-west-1",
			RunAsSource: "${path:enterprise.costCenter}",
			Others:      []settings.AccessControlAttribute{{Key: "Department", Source: "${path:enterprise.department}"}},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	abac := find(rows, "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes", "ic-abac")
	want := `[{"key":"SSMSessionRunAs","values":[{"sources":["${path:enterprise.costCenter}"]}]},{"key":"Department","values":[{"sources":["${path:enterprise.department}"]}]}]`
	if abac == nil || abac.Parent != "ic" || abac.Provider != "ic-eu-west-1" || asJSON(abac.Inputs["attributes"]) != want {
		t.Fatalf("ABAC: %s", asJSON(abac))
	}
}

func TestRoleAccess(t *testing.T) {
	c := exampleConfig(t)
	ic := c.IdentityCenter
	run := func(role settings.Role) []pulumimock.Row {
		t.Helper()
		rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
			_, err := runas.NewRoleAccess(ctx, "role-"+role.Name, &runas.RoleAccessArgs{
				Role: role, InstanceARN: ic.InstanceARN, Region: ic.Region, IdentityStoreID: ic.IdentityStoreID,
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	t.Run("created permission set", func(t *testing.T) {
		role := c.Roles[0] // admin: two OUs, one managed policy
		role.Assignments = append(role.Assignments, "333333333333", "333333333333")
		rows := run(role)
		ps := find(rows, "aws:ssoadmin/permissionSet:PermissionSet", "role-admin-permission-set")
		if ps == nil || ps.Parent != "role-admin" || ps.Inputs["name"] != "SSM-Admin" || ps.Inputs["sessionDuration"] != "PT4H" {
			t.Fatalf("permission set: %s", asJSON(ps))
		}
		inline := find(rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy", "role-admin-session-policy")
		if inline == nil || !strings.Contains(inline.Inputs["inlinePolicy"].(string), `"Null":{"aws:PrincipalTag/SSMSessionRunAs":"true"}`) {
			t.Fatalf("inline policy: %s", asJSON(inline))
		}
		if m := find(rows, "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment", "role-admin-managed-ReadOnlyAccess"); m == nil {
			t.Fatal("managed policy not attached")
		}
		// Two OUs (one placeholder account each offline) and one account listed twice.
		if n := count(rows, "aws:ssoadmin/accountAssignment:AccountAssignment"); n != 3 {
			t.Fatalf("%d assignments, want 3", n)
		}
		a := find(rows, "aws:ssoadmin/accountAssignment:AccountAssignment", "role-admin-assign-333333333333")
		if a == nil || a.Inputs["principalId"] != "group-SG-AWS-SSM-Admin" || a.Inputs["principalType"] != "GROUP" ||
			a.Inputs["targetType"] != "AWS_ACCOUNT" || a.Provider != "role-admin-eu-west-1" {
			t.Fatalf("assignment: %s", asJSON(a))
		}
	})

	t.Run("existing permission set", func(t *testing.T) {
		role := c.Roles[2]
		role.PermissionSet = settings.PermissionSet{ARN: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"}
		rows := run(role)
		if n := count(rows, "aws:ssoadmin/permissionSet:PermissionSet") + count(rows, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"); n != 0 {
			t.Fatalf("an existing permission set must not be created or have its policy replaced (%d resources)", n)
		}
		a := find(rows, "aws:ssoadmin/accountAssignment:AccountAssignment", "role-developer-assign-222222222222")
		if a == nil || a.Inputs["permissionSetArn"] != role.PermissionSet.ARN {
			t.Fatalf("assignment: %s", asJSON(a))
		}
	})
}

func TestIdentityCenterApp(t *testing.T) {
	c := exampleConfig(t)
	e := c.Entra
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		_, err := runas.NewIdentityCenterApp(ctx, "entra", &runas.IdentityCenterAppArgs{
			TenantID: e.TenantID, DisplayName: e.ApplicationName, IdentifierURI: e.IdentifierURI, ACSURLs: e.ACSURLs,
			AppRole: e.AppRole, SCIMEndpoint: e.SCIM.Endpoint, SCIMToken: pulumi.ToSecret(pulumi.String("tok")).(pulumi.StringOutput),
			SyncTemplateID: e.SCIM.TemplateID, Groups: []string{"SG-AWS-SSM-Admin", "SG-AWS-SSM-Developer"},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	app := find(rows, "azuread:index/applicationFromTemplate:ApplicationFromTemplate", "entra-app")
	if app == nil || app.Parent != "entra" || app.Inputs["templateId"] != runas.GalleryTemplateID {
		t.Fatalf("application: %s", asJSON(app))
	}
	sp := find(rows, "azuread:index/servicePrincipal:ServicePrincipal", "entra-sp")
	if sp == nil || sp.Inputs["preferredSingleSignOnMode"] != "saml" || sp.Inputs["useExisting"] != true {
		t.Fatalf("service principal: %s", asJSON(sp))
	}
	reply := find(rows, "azuread:index/applicationRedirectUris:ApplicationRedirectUris", "entra-reply-urls")
	if reply == nil || asJSON(reply.Inputs["redirectUris"]) != asJSON(e.ACSURLs) || reply.Inputs["type"] != "Web" {
		t.Fatalf("reply URLs: %s", asJSON(reply))
	}
	secret := find(rows, "azuread:index/synchronizationSecret:SynchronizationSecret", "entra-scim-secret")
	want := `[{"key":"BaseAddress","value":"` + e.SCIM.Endpoint + `"},{"key":"SecretToken","value":"[secret]"}]`
	if secret == nil || asJSON(secret.Inputs["credentials"]) != want {
		t.Fatalf("the SCIM secret must carry BaseAddress and a secret SecretToken: %s", asJSON(secret))
	}
	job := find(rows, "azuread:index/synchronizationJob:SynchronizationJob", "entra-scim-job")
	if job == nil || job.Inputs["templateId"] != "aWSSingleSignon" || job.Inputs["servicePrincipalId"] != "entra-app-sp-object-id" {
		t.Fatalf("job: %s", asJSON(job))
	}
	if cert := find(rows, "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate", "entra-signing-certificate"); cert == nil {
		t.Fatal("no signing certificate")
	}
	a := find(rows, "azuread:index/appRoleAssignment:AppRoleAssignment", "entra-assign-SG-AWS-SSM-Developer")
	if a == nil || a.Inputs["appRoleId"] != "app-role-User" || a.Inputs["principalObjectId"] != "entra-group-SG-AWS-SSM-Developer" {
		t.Fatalf("assignment: %s", asJSON(a))
	}
}
