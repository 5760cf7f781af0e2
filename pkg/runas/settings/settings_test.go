package settings_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const examplePath = "../../../examples/per-role/runas.yaml"

func TestLoadExample(t *testing.T) {
	c, err := settings.Load(examplePath)
	if err != nil {
		t.Fatalf("the shipped example must be valid: %v", err)
	}
	if c.Model != settings.ModelPerRole || len(c.Organization.Regions) != 3 {
		t.Fatalf("unexpected example: %+v", c.Organization)
	}
	if got := c.Organization.ArtifactBucket("eu-west-1"); got != "ssm-runas-artifacts-111111111111-eu-west-1" {
		t.Fatalf("ArtifactBucket = %s", got)
	}
}

const minimal = `
model: per-role
organization:
  id: o-a1b2c3d4e5
  managementAccountId: "012345678901"
  targets: [r-ab12]
  regions: [eu-west-1]
sessionPreferences:
  runAsDefaultUser: ssm-fallback
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef
  region: eu-west-1
  identityStoreId: d-1234567890
roles:
  - name: dev
    entraGroup: SG-Dev
    linuxUser: developer
    precedence: 1
    permissionSet: {name: SSM-Dev}
    assignments: ["222222222222"]
`

func TestDefaults(t *testing.T) {
	c, err := settings.Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Organization
	checks := map[string][2]any{
		"artifact prefix":   {o.ArtifactBucketPrefix, "ssm-runas-artifacts-012345678901"},
		"stackset name":     {o.StackSet.Name, settings.DefaultStackSetName},
		"callAs":            {o.StackSet.CallAs, "SELF"},
		"max concurrent":    {*o.StackSet.OperationPreferences.MaxConcurrentPercentage, 25},
		"failure tolerance": {*o.StackSet.OperationPreferences.FailureTolerancePercentage, 10},
		"region order":      {o.StackSet.OperationPreferences.RegionConcurrencyType, "SEQUENTIAL"},
		"mode":              {o.StackSet.OperationPreferences.ConcurrencyMode, "SOFT_FAILURE_TOLERANCE"},
		"retain":            {*o.StackSet.RetainStacksOnAccountRemoval, false},
		"guardrail":         {c.GuardrailEnabled(), true},
		"management":        {c.ConfigureManagementAccount(), true},
		"leading zero kept": {o.ManagementAccountID, "012345678901"},
	}
	for name, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
	// Unset preferences stay unmanaged: the writer must keep what accounts have.
	if c.SessionPreferences.S3 != nil || c.SessionPreferences.IdleSessionTimeoutMinutes != nil {
		t.Errorf("unset preferences must stay nil: %+v", c.SessionPreferences)
	}
}

func TestParseJSONFromPulumiConfig(t *testing.T) {
	js := `{"model":"per-role","organization":{"id":"o-a1b2c3d4e5","managementAccountId":"111111111111",
	"targets":["r-ab12"],"regions":["eu-west-1"]},"sessionPreferences":{"runAsDefaultUser":"ops","idleSessionTimeoutMinutes":15},
	"identityCenter":{"instanceArn":"arn:aws:sso:::instance/ssoins-1234567890abcdef","region":"eu-west-1","identityStoreId":"d-1234567890"},
	"roles":[{"name":"dev","entraGroup":"SG-Dev","linuxUser":"developer","precedence":1,"permissionSet":{"name":"SSM-Dev"},"assignments":["222222222222"]}]}`
	c, err := settings.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if *c.SessionPreferences.IdleSessionTimeoutMinutes != 15 {
		t.Fatal("idle timeout lost")
	}
}

func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		// edit replaces old with new in the minimal config.
		old, new string
		want     []string
	}{
		{"bad username", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: Admin!",
			[]string{`sessionPreferences.runAsDefaultUser "Admin!": must match ^[a-z_][a-z0-9_-]{0,31}$`}},
		{"root", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: root",
			[]string{`sessionPreferences.runAsDefaultUser "root": root is not allowed as a Run As user`}},
		{"idle timeout 0", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ssm-fallback\n  idleSessionTimeoutMinutes: 0",
			[]string{`sessionPreferences.idleSessionTimeoutMinutes "0": must be between 1 and 60 minutes`}},
		{"malformed OU", "targets: [r-ab12]", "targets: [ou-BAD]",
			[]string{`organization.targets[0] "ou-BAD": must be a root id (r-xxxx) or an OU id (ou-xxxx-xxxxxxxx)`}},
		{"unknown field", "model: per-role", "model: per-role\nroless: []",
			[]string{`roless: unknown field (line 3)`}},
		{"unknown nested field", "  regions: [eu-west-1]", "  regions: [eu-west-1]\n  region: eu-west-1",
			[]string{`organization.region: unknown field (line 8)`}},
		{"wrong type", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ssm-fallback\n  idleSessionTimeoutMinutes: soon",
			[]string{`sessionPreferences.idleSessionTimeoutMinutes "soon": must be a whole number (line 10)`}},
		{"unquoted account id", `managementAccountId: "012345678901"`, `managementAccountId: 12345`,
			[]string{`organization.managementAccountId "12345": must be 12 digits`}},
		{"root and OU", "targets: [r-ab12]", "targets: [r-ab12, ou-ab12-abcdefgh]",
			[]string{`organization.targets: the root already covers every OU`}},
		{"bad region and model", "regions: [eu-west-1]", "regions: [eu-west-1, mars-1]\nmodel: per-person",
			nil}, // duplicate key "model": the YAML parser refuses it
		{"several at once", "runAsDefaultUser: ssm-fallback",
			"runAsDefaultUser: -x\n  idleSessionTimeoutMinutes: 0\n  maxSessionDurationMinutes: 2000",
			[]string{"sessionPreferences.runAsDefaultUser", "sessionPreferences.idleSessionTimeoutMinutes", "sessionPreferences.maxSessionDurationMinutes"}},
		{"delegated admin needs a role", "  regions: [eu-west-1]", "  regions: [eu-west-1]\n  stackSet: {callAs: DELEGATED_ADMIN}",
			[]string{"organization.managementAccount.assumeRoleArn: is required when stackSet.callAs is DELEGATED_ADMIN"}},
		{"bad exemption", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ssm-fallback\nguardrail: {exemptRoleArns: [pipeline]}",
			[]string{`guardrail.exemptRoleArns[0] "pipeline": must be an IAM role ARN`}},
		{"long bucket prefix", "  regions: [eu-west-1]", "  regions: [eu-west-1]\n  artifactBucketPrefix: " + strings.Repeat("a", 60),
			[]string{"organization.artifactBucketPrefix"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(minimal, tc.old, tc.new, 1)
			if src == minimal {
				t.Fatalf("edit %q not applied", tc.old)
			}
			_, err := settings.Parse([]byte(src))
			if err == nil {
				t.Fatal("want an error")
			}
			if tc.want == nil {
				return
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("want a field.List, got %T: %v", err, err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(list), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(list[i].Error(), w) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, list[i].Error(), w)
				}
			}
		})
	}
}

func TestParseRejectsEmptyAndBrokenFiles(t *testing.T) {
	for name, src := range map[string]string{"empty": "", "comments only": "# nothing\n", "broken": "model: [", "list": "- a\n- b\n"} {
		if _, err := settings.Parse([]byte(src)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if _, err := settings.Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestRoleValidation(t *testing.T) {
	role := `  - name: ops
    entraGroup: SG-Ops
    linuxUser: ops
    precedence: 2
    permissionSet: {name: SSM-Ops}
    assignments: ["222222222222"]
`
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"valid second role", "", role, nil},
		{"same linux user", "", strings.Replace(role, "linuxUser: ops", "linuxUser: developer", 1),
			[]string{`roles[1].linuxUser "developer": is also used by roles[0]`}},
		{"same precedence", "", strings.Replace(role, "precedence: 2", "precedence: 1", 1),
			[]string{`roles[1].precedence "1": is also roles[0].precedence: a user in both groups would resolve to two values`}},
		{"root", "", strings.Replace(role, "linuxUser: ops", "linuxUser: root", 1),
			[]string{`roles[1].linuxUser "root": root is not allowed as a Run As user`}},
		{"bad username", "", strings.Replace(role, "linuxUser: ops", "linuxUser: Ops;id", 1),
			[]string{`roles[1].linuxUser "Ops;id": must match`}},
		{"fallback user as role", "", strings.Replace(role, "linuxUser: ops", "linuxUser: ssm-fallback", 1),
			[]string{`roles[1].linuxUser "ssm-fallback": must differ from sessionPreferences.runAsDefaultUser`}},
		{"arn and name", "", strings.Replace(role, "{name: SSM-Ops}", "{name: SSM-Ops, arn: x}", 1),
			[]string{`roles[1].permissionSet: set either arn`}},
		{"long session", "", strings.Replace(role, "{name: SSM-Ops}", "{name: SSM-Ops, sessionDuration: PT13H}", 1),
			[]string{`roles[1].permissionSet.sessionDuration "PT13H": must be an ISO 8601 duration from PT1H to PT12H`}},
		{"bad assignment", "", strings.Replace(role, `["222222222222"]`, `["2222"]`, 1),
			[]string{`roles[1].assignments[0] "2222": must be a 12-digit account id or an OU id`}},
		{"sudo injection", "", role + "    sudo: {commands: [\"/bin/ls, /bin/sh\"]}\n",
			[]string{`roles[1].sudo.commands[0] "/bin/ls, /bin/sh": must be ALL, or an absolute path`}},
		{"no identity center", "identityCenter:\n  instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n  region: eu-west-1\n  identityStoreId: d-1234567890\n", "",
			[]string{"identityCenter: is required for the per-role model"}},
		{"bad ABAC source", "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  runAsSource: costCenter\n",
			[]string{`identityCenter.runAsSource "costCenter": must be ${path:...}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := minimal
			if tc.old == "" {
				src += tc.new
			} else {
				src = strings.Replace(src, tc.old, tc.new, 1)
			}
			_, err := settings.Parse([]byte(src))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("want a field.List, got %v", err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(list), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(list[i].Error(), w) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, list[i].Error(), w)
				}
			}
		})
	}
}

func TestEntraValidation(t *testing.T) {
	src, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"wildcard reply URL", "- https://eu-west-1.signin.aws/platform/saml/acs/7d2c5f4e-3b1a-4c9d-8e7f-6a5b4c3d2e1f",
			"- https://*.signin.aws.amazon.com/platform/saml/acs/*", `entra.acsUrls[0] "https://*.signin.aws.amazon.com/platform/saml/acs/*": must be an exact ACS URL`},
		{"reply URL in another region", "- https://eu-west-1.signin.aws/platform/saml/acs/",
			"- https://us-east-1.signin.aws/platform/saml/acs/", `entra.acsUrls[0]`},
		{"legacy domain accepted, non-GUID id", "- https://eu-west-1.signin.aws/platform/saml/acs/7d2c5f4e-3b1a-4c9d-8e7f-6a5b4c3d2e1f",
			"- https://eu-west-1.signin.aws.amazon.com/platform/saml/acs/d-9067a1b2c3", ""},
		{"target not read by ABAC", "targetAttribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
			"targetAttribute: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
			`Identity Center keeps it at ${path:enterprise.employeeNumber}, but identityCenter.runAsSource reads ${path:enterprise.costCenter}`},
		{"legacy template", "    sourceAttribute: extensionAttribute1", "    sourceAttribute: extensionAttribute1\n    templateId: aws",
			`entra.scim.templateId "aws": is the legacy single-account application's template`},
		{"revoked value is a role account", "revokedValue: ssm-revoked", "revokedValue: support",
			`entra.attributeSync.revokedValue "support": is roles[3].linuxUser`},
		{"tenant", "tenantId: 61318f71-9c58-4f75-b8af-329e649fcd80", "tenantId: contoso", `entra.tenantId "contoso": must be the tenant id`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			edited := strings.Replace(string(src), tc.old, tc.new, 1)
			if edited == string(src) {
				t.Fatalf("edit %q not applied", tc.old)
			}
			_, err := settings.Parse([]byte(edited))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") != 0 {
				t.Fatalf("want exactly one problem containing %q, got:\n%v", tc.want, err)
			}
		})
	}
}
