package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const example = "../../examples/per-role/runas.yaml"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeVariant writes the example with one edit applied.
func writeVariant(t *testing.T, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), old, new, 1)
	if edited == string(src) {
		t.Fatalf("edit %q not applied", old)
	}
	p := filepath.Join(t.TempDir(), "runas.yaml")
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateExample(t *testing.T) {
	code, out, errOut := runCLI(t, "validate", "--config", example)
	if code != 0 || !strings.Contains(out, "valid (model per-role, 2 targets, 3 regions)") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

func TestValidateReportsEachProblem(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"bad username", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: Admin!",
			`sessionPreferences.runAsDefaultUser "Admin!": must match ^[a-z_][a-z0-9_-]{0,31}$`},
		{"idle timeout 0", "idleSessionTimeoutMinutes: 20", "idleSessionTimeoutMinutes: 0",
			`sessionPreferences.idleSessionTimeoutMinutes "0": must be between 1 and 60 minutes`},
		{"malformed OU", "- ou-a1b2-sandboxes1", "- ou-sandboxes",
			`organization.targets[1] "ou-sandboxes": must be a root id (r-xxxx) or an OU id (ou-xxxx-xxxxxxxx)`},
		{"unknown field", "  runAsDefaultUser: ssm-fallback", "  runAsDefaultUser: ssm-fallback\n  runAsEnabled: false",
			`sessionPreferences.runAsEnabled: unknown field (line`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeVariant(t, tc.old, tc.new)
			code, out, errOut := runCLI(t, "validate", "--config", p)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q; want exit 1 and nothing on stdout", code, out)
			}
			if !strings.Contains(errOut, p+": "+tc.want) {
				t.Fatalf("stderr does not name the problem:\n%s\nwant %s", errOut, tc.want)
			}
		})
	}

	t.Run("all at once", func(t *testing.T) {
		src, _ := os.ReadFile(example)
		s := string(src)
		for _, e := range [][2]string{
			{"runAsDefaultUser: ssm-fallback", "runAsDefaultUser: Admin!"},
			{"idleSessionTimeoutMinutes: 20", "idleSessionTimeoutMinutes: 0"},
			{"- ou-a1b2-sandboxes1", "- ou-sandboxes"},
			{"model: per-role", "model: per-role\nroless: []"},
		} {
			s = strings.Replace(s, e[0], e[1], 1)
		}
		p := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(p, []byte(s), 0o644)
		code, _, errOut := runCLI(t, "validate", "--config", p)
		// Unknown fields are found before rules are checked; the other three
		// show once the field is fixed.
		if code != 1 || !strings.Contains(errOut, "roless: unknown field") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		s = strings.Replace(s, "\nroless: []", "", 1)
		os.WriteFile(p, []byte(s), 0o644)
		code, _, errOut = runCLI(t, "validate", "--config", p)
		if code != 1 || strings.Count(errOut, p+": ") != 3 {
			t.Fatalf("want three problems, exit 1; got exit %d\n%s", code, errOut)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing config flag", []string{"validate"}, 2, `required flag(s) "config" not set`},
		{"unknown flag", []string{"plan", "--config", example, "--fast"}, 2, "unknown flag: --fast"},
		{"bad output", []string{"plan", "--config", example, "--output", "yaml"}, 2, `--output "yaml": must be table or json`},
		{"missing file", []string{"validate", "--config", "nope.yaml"}, 1, "reading config: open nope.yaml: no such file or directory"},
		{"unknown command", []string{"deploy"}, 2, `unknown command "deploy"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("exit %d (want %d), stdout %q\nstderr %q\nwant one line containing %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}

func TestStackSetTemplatePassesCfnLint(t *testing.T) {
	code, out, errOut := runCLI(t, "stackset", "template", "--config", example)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c, err := settings.Load(example)
	if err != nil {
		t.Fatal(err)
	}
	tpl, _ := cfn.MemberTemplate(c)
	if out != string(tpl.JSON()) {
		t.Fatal("the command must print the builder's template unchanged")
	}
	testtools.CfnLint(t, []byte(out))
}

type planRow struct {
	Type, Name, Parent, Provider string
	Inputs                       map[string]any
}

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

func TestExplain(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		linuxUser any // nil for no shell
		failure   any
		stepHas   string
	}{
		{"one role group", []string{"--groups", "SG-AWS-SSM-Oracle"}, 0, "oracle", nil, "member of one role group"},
		{"two role groups by precedence", []string{"--groups", "SG-AWS-SSM-Support,SG-AWS-SSM-Developer"}, 0, "developer", nil,
			"the highest precedence wins, developer (3) over support (4)"},
		{"no role group", []string{"--groups", "All-Staff"}, 1, nil, "not-assigned", "the user is in none of"},
		{"multi-valued attribute", []string{"--attribute", "admin,developer"}, 1, nil, "multiple-values", "Identity Center rejects multi-valued attributes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"explain", "--config", example, "--user", "alice@corp.example", "--output", "json"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			var res struct {
				User      string
				LinuxUser any
				Failure   any
				Steps     []struct{ Step, Rule, Result string }
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("explain JSON: %v\n%s", err, out)
			}
			if res.User != "alice@corp.example" || res.LinuxUser != tc.linuxUser || res.Failure != tc.failure {
				t.Fatalf("got user %v failure %v, want %v %v\n%s", res.LinuxUser, res.Failure, tc.linuxUser, tc.failure, out)
			}
			if !strings.Contains(out, tc.stepHas) {
				t.Fatalf("no step says %q:\n%s", tc.stepHas, out)
			}
		})
	}

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"explain", "--config", example, "--user", "a"},
			{"explain", "--config", example, "--user", "a", "--groups", "x", "--attribute", "y"},
			{"explain", "--config", example, "--groups", "x"},
			{"explain", "--config", example, "--user", "a", "--groups", "x", "--host-users", "Bad!"},
		} {
			if code, _, errOut := runCLI(t, args...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("%v: exit %d, want 2 with one line:\n%s", args, code, errOut)
			}
		}
	})
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

func TestMetadataStrip(t *testing.T) {
	dir := testtools.EntraMetadataDir(t)
	out := filepath.Join(t.TempDir(), "ic.xml")
	code, stdout, errOut := runCLI(t, "metadata", "strip", "--in", filepath.Join(dir, "per-app-2certs.xml"),
		"--at", "2025-06-01T00:00:00Z", "--verify-signature", "--out", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d stdout %q: %s", code, stdout, errOut)
	}
	if !strings.Contains(errOut, "signature verified with certificate 9B6A4331329E0D853B20BD364CD7131D3652942F") ||
		!strings.Contains(errOut, "kept certificate 815D70419E644F95BE30F309616EBDA58C5B591B") {
		t.Fatalf("stderr must say what was verified and kept:\n%s", errOut)
	}
	written, _ := os.ReadFile(out)
	if strings.Count(string(written), "<X509Certificate>") != 1 || strings.Count(string(written), "<SingleSignOnService") != 2 {
		t.Fatalf("written metadata:\n%s", written)
	}

	for name, args := range map[string][]string{
		"AD FS":          {"--in", filepath.Join(dir, "adfs-not-entra.xml")},
		"thumbprint":     {"--in", filepath.Join(dir, "per-app-1cert.xml"), "--thumbprint", "DEADBEEF"},
		"no valid":       {"--in", filepath.Join(dir, "per-app-1cert.xml"), "--at", "2030-01-01T00:00:00Z"},
		"missing file":   {"--in", filepath.Join(dir, "nope.xml")},
		"bad signature?": {"--in", filepath.Join(dir, "per-app-1cert.xml"), "--verify-signature", "--thumbprint", "9B6A4331329E0D853B20BD364CD7131D3652942F"},
	} {
		target := filepath.Join(t.TempDir(), "out.xml")
		code, _, errOut := runCLI(t, append(append([]string{"metadata", "strip"}, args...), "--out", target)...)
		if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: exit %d, want 1 with one line:\n%s", name, code, errOut)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("%s: a failed strip wrote %s", name, target)
		}
	}
}

func TestEntraSyncAttributes(t *testing.T) {
	g := fakegraph.New(t)
	t.Setenv(GraphTokenEnv, "test-token")
	g.AddUser("u1", "alice@corp.example", false, "")
	g.AddUser("u2", "bob@corp.example", false, "admin") // lost the admin role
	g.AddUser("u3", "carol@corp.example", false, "")
	g.SetGroup("SG-AWS-SSM-Admin")
	g.SetGroup("SG-AWS-SSM-Oracle", "u3")
	g.SetGroup("SG-AWS-SSM-Developer", "u1", "u3")
	g.SetGroup("SG-AWS-SSM-Support")

	args := []string{"entra", "sync-attributes", "--config", example, "--graph-url", g.BaseURL()}
	code, out, errOut := runCLI(t, args...)
	if code != 0 || g.Patches != 0 {
		t.Fatalf("dry run: exit %d, %d writes\n%s%s", code, g.Patches, out, errOut)
	}
	for _, want := range []string{
		`~ alice@corp.example  extensionAttribute1: "" -> developer`,
		`~ bob@corp.example    extensionAttribute1: admin -> ssm-revoked  in no role group`,
		`~ carol@corp.example  extensionAttribute1: "" -> oracle`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runCLI(t, append(args, "--apply")...); code != 0 || g.Patches != 3 {
		t.Fatalf("apply: exit %d, %d writes: %s", code, g.Patches, errOut)
	}
	code, out, errOut = runCLI(t, append(args, "--apply", "--output", "json")...)
	if code != 0 || g.Patches != 3 || !strings.Contains(out, `"changes": null`) || !strings.Contains(errOut, "wrote 0, 3 unchanged") {
		t.Fatalf("second run must write nothing: exit %d\n%s%s", code, out, errOut)
	}
}

func TestEntraMapAttribute(t *testing.T) {
	g := fakegraph.New(t)
	t.Setenv(GraphTokenEnv, "test-token")
	read := func(name string) []byte {
		b, err := os.ReadFile("../../pkg/runas/cloud/graph/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	g.SetSynchronization("5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b", "AWS IAM Identity Center", read("templates.json"), read("jobs.json"), read("schema.json"))
	args := []string{"entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL()}

	code, out, errOut := runCLI(t, args...)
	if code != 0 || g.SchemaPuts != 0 || !strings.Contains(out, "added\tProvision Microsoft Entra ID Users: (none) -> [extensionAttribute1]") ||
		!strings.Contains(errOut, "template aWSSingleSignon found by factory tag aWSSingleSignon") {
		t.Fatalf("dry run: exit %d, %d puts\n%s%s", code, g.SchemaPuts, out, errOut)
	}
	if code, _, errOut := runCLI(t, append(args, "--apply", "--start")...); code != 0 || g.SchemaPuts != 1 || g.Starts != 1 {
		t.Fatalf("apply: exit %d, %d puts, %d starts: %s", code, g.SchemaPuts, g.Starts, errOut)
	}
	if !strings.Contains(string(g.Schema()), `"targetAttributeName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"`) {
		t.Fatal("the written schema lacks the mapping")
	}
	code, out, _ = runCLI(t, append(args, "--apply")...)
	if code != 0 || g.SchemaPuts != 1 || !strings.HasPrefix(out, "unchanged") {
		t.Fatalf("second run must write nothing: exit %d, %d puts\n%s", code, g.SchemaPuts, out)
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

func TestAuditAndRemediateCommands(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAMOTOTESTING00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	base := srv.Config("eu-west-1")
	f := audit.NewFactory(base, "123456789012", audit.FactoryOptions{})
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{Accounts: 3, Regions: []string{"eu-west-1"}, Prefs: prefs,
		StateOf: func(i int, _ string) orgseed.State { return orgseed.AllStates[i] }})
	if err != nil {
		t.Fatal(err)
	}
	cf := f.CloudFormation("eu-west-1")
	if _, err := cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{StackSetName: aws.String(settings.DefaultStackSetName),
		TemplateBody: aws.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":"ssm-runas-test"}}}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{StackSetName: aws.String(settings.DefaultStackSetName),
		Accounts: org.Accounts, Regions: []string{"eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "runas.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`model: per-user
organization:
  id: %s
  managementAccountId: "%s"
  targets: [%s]
  regions: [eu-west-1]
  managementAccount: {configure: false}
sessionPreferences:
  runAsDefaultUser: ssm-fallback
guardrail: {enabled: false}
`, org.ID, org.ManagementAccount, org.OUs[0])), 0o644)
	common := []string{"--config", cfgPath, "--endpoint-url", srv.URL}

	code, out, errOut := runCLI(t, append([]string{"audit", "--output", "json"}, common...)...)
	if code != 1 {
		t.Fatalf("audit: exit %d, want 1 (findings)\n%s%s", code, out, errOut)
	}
	var rep struct {
		Targets []struct {
			Account, Region, Status string
			Findings                []struct{ Check, Want, Got string }
		}
		Organization, IdentityCenter struct{ Status string }
		Summary                      struct{ Targets, Compliant, Drift, Missing, Errors int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit JSON: %v\n%s", err, out)
	}
	if rep.Summary.Targets != 3 || rep.Summary.Compliant != 1 || rep.Summary.Missing != 1 || rep.Summary.Drift != 1 ||
		rep.IdentityCenter.Status != "skipped" || rep.Organization.Status == "" {
		t.Fatalf("audit summary: %+v\n%s", rep, out)
	}

	code, out, errOut = runCLI(t, append([]string{"remediate"}, common...)...)
	if code != 0 || !strings.Contains(out, "2 to write, 1 unchanged, 0 failed") || !strings.Contains(errOut, "dry run") {
		t.Fatalf("remediate dry run: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`inputs\.runAsEnabled\s+false\s+->\s+true`).MatchString(out) {
		t.Fatalf("the dry run must show the exact change:\n%s", out)
	}
	if code, out, errOut = runCLI(t, append([]string{"remediate", "--apply"}, common...)...); code != 0 {
		t.Fatalf("remediate: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, append([]string{"audit", "--output", "markdown"}, common...)...)
	if code != 0 || !strings.Contains(out, "**3 compliant**") {
		t.Fatalf("audit after remediation: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, append([]string{"remediate", "--apply"}, common...)...); code != 0 || !strings.Contains(out, "0 to write, 3 unchanged") {
		t.Fatalf("second remediation must write nothing: exit %d\n%s", code, out)
	}

	// Bad input is one line and a usage exit.
	for _, args := range [][]string{
		{"audit", "--output", "yaml"},
		{"audit", "--concurrency", "0"},
		{"audit", "--regions", "all"},
	} {
		if code, _, errOut := runCLI(t, append(args, common...)...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line: %s", args, code, errOut)
		}
	}
}
