package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPlanJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "plan", "--config", example, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct{ Resources []planRow }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, out)
	}
	byType := map[string][]planRow{}
	for i, r := range doc.Resources {
		byType[r.Type] = append(byType[r.Type], r)
		if i > 0 {
			prev := doc.Resources[i-1]
			if prev.Type > r.Type || (prev.Type == r.Type && prev.Name > r.Name) {
				t.Fatalf("resources are not sorted: %s/%s before %s/%s", prev.Type, prev.Name, r.Type, r.Name)
			}
		}
	}
	ss := byType["aws:cloudformation/stackSet:StackSet"]
	if len(ss) != 1 || ss[0].Inputs["permissionModel"] != "SERVICE_MANAGED" ||
		ss[0].Inputs["autoDeployment"].(map[string]any)["enabled"] != true {
		t.Fatalf("StackSet: %+v", ss)
	}
	key := ss[0].Inputs["parameters"].(map[string]any)["ArtifactKey"].(string)
	regions := map[string]bool{}
	for _, r := range byType["aws:cloudformation/stackSetInstance:StackSetInstance"] {
		regions[r.Inputs["region"].(string)] = true
	}
	for _, region := range []string{"eu-west-1", "eu-central-1", "us-east-1"} {
		if !regions[region] {
			t.Errorf("no StackSet instances in %s", region)
		}
	}
	if n := len(byType["aws:s3/bucketV2:BucketV2"]); n != 3 {
		t.Errorf("%d artifact buckets, want 3", n)
	}
	for _, o := range byType["aws:s3/bucketObjectv2:BucketObjectv2"] {
		if o.Inputs["key"] != key {
			t.Errorf("object %s has key %v, StackSet expects %s", o.Name, o.Inputs["key"], key)
		}
	}
	if n := len(byType["aws:cloudformation/stack:Stack"]); n != 3 {
		t.Errorf("%d management-account stacks, want one per region", n)
	}
	if scp := byType["aws:organizations/policy:Policy"]; len(scp) != 1 || scp[0].Inputs["type"] != "SERVICE_CONTROL_POLICY" {
		t.Errorf("SCP: %+v", scp)
	}
	if n := len(byType["aws:organizations/policyAttachment:PolicyAttachment"]); n != 2 {
		t.Errorf("%d SCP attachments, want one per target", n)
	}

	// The writer is built reproducibly: a second plan of the same tree is identical.
	_, again, _ := runCLI(t, "plan", "--config", example, "--output", "json")
	if again != out {
		t.Error("two plans of an unchanged tree differ")
	}
}

func TestPlanShowsIdentityCenterLayer(t *testing.T) {
	code, out, errOut := runCLI(t, "plan", "--config", example, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct{ Resources []planRow }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var abac, inline, assignments int
	var template string
	for _, r := range doc.Resources {
		switch r.Type {
		case "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes":
			attrs := r.Inputs["attributes"].([]any)
			first := attrs[0].(map[string]any)
			src := first["values"].([]any)[0].(map[string]any)["sources"].([]any)[0]
			if first["key"] != "SSMSessionRunAs" || src != "${path:enterprise.costCenter}" {
				t.Errorf("ABAC: %v", attrs)
			}
			abac++
		case "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy":
			if !strings.Contains(r.Inputs["inlinePolicy"].(string), `"Null":{"aws:PrincipalTag/SSMSessionRunAs":"true"}`) {
				t.Errorf("%s has no Null deny", r.Name)
			}
			inline++
		case "aws:ssoadmin/accountAssignment:AccountAssignment":
			assignments++
		case "aws:cloudformation/stackSet:StackSet":
			template = r.Inputs["templateBody"].(string)
		}
	}
	if abac != 1 || inline != 4 || assignments != 6 {
		t.Errorf("ABAC %d, inline policies %d, assignments %d; want 1, 4, 6", abac, inline, assignments)
	}
	if !strings.Contains(template, `"Type": "AWS::SSM::Association"`) || !strings.Contains(template, `"tag:ssm-runas:role-accounts"`) {
		t.Error("the StackSet template does not carry the role-accounts association")
	}
}

func TestPlanShowsEntraLayer(t *testing.T) {
	code, out, errOut := runCLI(t, "plan", "--config", example, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct{ Resources []planRow }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]planRow{}
	assignments := 0
	for _, r := range doc.Resources {
		seen[r.Type] = r
		if r.Type == "azuread:index/appRoleAssignment:AppRoleAssignment" {
			assignments++
		}
	}
	if r := seen["azuread:index/applicationFromTemplate:ApplicationFromTemplate"]; r.Inputs["templateId"] != "21ed01d2-ec13-4e9e-86c1-cd546719ebc4" {
		t.Errorf("application from template: %+v", r)
	}
	if r := seen["azuread:index/servicePrincipal:ServicePrincipal"]; r.Inputs["preferredSingleSignOnMode"] != "saml" {
		t.Errorf("service principal: %+v", r)
	}
	if r := seen["azuread:index/synchronizationJob:SynchronizationJob"]; r.Inputs["templateId"] != "aWSSingleSignon" {
		t.Errorf("synchronization job: %+v", r)
	}
	for _, typ := range []string{
		"azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate",
		"azuread:index/synchronizationSecret:SynchronizationSecret",
	} {
		if _, ok := seen[typ]; !ok {
			t.Errorf("no %s", typ)
		}
	}
	if assignments != 4 {
		t.Errorf("%d app role assignments, want one per role group", assignments)
	}
	if strings.Contains(out, "plan-placeholder") {
		t.Error("the plan printed the SCIM token placeholder instead of [secret]")
	}
}
