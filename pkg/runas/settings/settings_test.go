package settings_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const examplePath = "../../../examples/per-role/runas.yaml"

func TestLoadExample(t *testing.T) {
	c, err := settings.Load(examplePath)
	require.NoError(t, err, "the shipped example must be valid")
	assert.Equal(t, settings.ModelPerRole, c.Model)
	assert.Len(t, c.Organization.Regions, 3)
	assert.Equal(t, "ssm-runas-artifacts-111111111111-eu-west-1", c.Organization.ArtifactBucket("eu-west-1"))
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
	require.NoError(t, err)
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
		assert.Equal(t, v[1], v[0], name)
	}
	assert.Equal(t, settings.DefaultReservedUsers, c.Guardrail.ReservedUsers, "reserved users")
	// Unset preferences stay unmanaged: the writer must keep what accounts have.
	assert.Nil(t, c.SessionPreferences.S3)
	assert.Nil(t, c.SessionPreferences.IdleSessionTimeoutMinutes)
}

func TestParseJSONFromPulumiConfig(t *testing.T) {
	js := `{"model":"per-role","organization":{"id":"o-a1b2c3d4e5","managementAccountId":"111111111111",
	"targets":["r-ab12"],"regions":["eu-west-1"]},"sessionPreferences":{"runAsDefaultUser":"ops","idleSessionTimeoutMinutes":15},
	"identityCenter":{"instanceArn":"arn:aws:sso:::instance/ssoins-1234567890abcdef","region":"eu-west-1","identityStoreId":"d-1234567890"},
	"roles":[{"name":"dev","entraGroup":"SG-Dev","linuxUser":"developer","precedence":1,"permissionSet":{"name":"SSM-Dev"},"assignments":["222222222222"]}]}`
	c, err := settings.Parse([]byte(js))
	require.NoError(t, err)
	require.NotNil(t, c.SessionPreferences.IdleSessionTimeoutMinutes)
	assert.Equal(t, 15, *c.SessionPreferences.IdleSessionTimeoutMinutes)
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
		{"duplicate key", "regions: [eu-west-1]", "regions: [eu-west-1]\nmodel: per-person",
			[]string{`model: duplicate key (line 8; first at line 2)`}},
		{"unknown field and value errors together", "model: per-role", "model: per-role\nroless: []",
			nil},
		{"made-up region", "regions: [eu-west-1]", "regions: [eu-west-1, zz-fake-9]\n  homeRegion: eu-west-1",
			[]string{`organization.regions[1] "zz-fake-9": is not a region of partition aws`}},
		{"new region listed", "regions: [eu-west-1]", "regions: [eu-west-1, zz-fake-9]\n  homeRegion: eu-west-1\nnewRegions: [zz-fake-9]", []string{}},
		{"reserved fallback user", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ec2-user",
			[]string{`sessionPreferences.runAsDefaultUser "ec2-user": is in guardrail.reservedUsers`}},
		{"exemption by pattern in every account", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ssm-fallback\nguardrail: {exemptRoleArns: [\"arn:aws:iam::*:role/stacksets-exec-*\"]}",
			[]string{`guardrail.exemptRoleArns[0] "arn:aws:iam::*:role/stacksets-exec-*": with * as the account the role name must be exact`}},
		{"exact exemption in every account", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ssm-fallback\nguardrail: {exemptRoleArns: [\"arn:aws:iam::*:role/ssm-runas-remediation\"]}", []string{}},
		{"bad reserved user", "runAsDefaultUser: ssm-fallback", "runAsDefaultUser: ssm-fallback\nguardrail: {reservedUsers: [root, \"Bad!\"]}",
			[]string{`guardrail.reservedUsers[1] "Bad!": must match`}},
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
			require.NotEqual(t, minimal, src, "edit %q not applied", tc.old)
			_, err := settings.Parse([]byte(src))
			if tc.want != nil && len(tc.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tc.want == nil {
				return
			}
			assertProblems(t, err, tc.want)
		})
	}
}

func TestParseRejectsEmptyAndBrokenFiles(t *testing.T) {
	for name, src := range map[string]string{"empty": "", "comments only": "# nothing\n", "broken": "model: [", "list": "- a\n- b\n"} {
		_, err := settings.Parse([]byte(src))
		assert.Error(t, err, name)
	}
	_, err := settings.Load(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
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
		{"sudo wildcard", "", role + "    sudo: {commands: [\"/usr/bin/less *\"]}\n",
			[]string{`roles[1].sudo.commands[0] "/usr/bin/less *": must be ALL, or an absolute path`}},
		{"sudo env assignment", "", role + "    sudo: {commands: [\"/usr/bin/env A=1 /bin/sh\"]}\n",
			[]string{`roles[1].sudo.commands[0] "/usr/bin/env A=1 /bin/sh": must be ALL, or an absolute path`}},
		{"sudo no arguments allowed", "", role + "    sudo: {commands: [\"/usr/bin/uptime \\\"\\\"\"]}\n", nil},
		{"group differing only in case", "", strings.Replace(role, "entraGroup: SG-Ops", "entraGroup: sg-dev", 1),
			[]string{`roles[1].entraGroup "sg-dev": is also used by roles[0]`}},
		{"ssm-user as a role", "", strings.Replace(role, "linuxUser: ops", "linuxUser: ssm-user", 1),
			[]string{`roles[1].linuxUser "ssm-user": must not be ssm-user`}},
		{"SSH document", "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  allowedSessionDocuments: [{name: AWS-StartSSHSession}]\n",
			[]string{`identityCenter.allowedSessionDocuments[0].name "AWS-StartSSHSession": goes around Run As: it tunnels SSH`}},
		{"remote host document", "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  allowedSessionDocuments: [{name: AWS-StartPortForwardingSessionToRemoteHost}]\n",
			[]string{`identityCenter.allowedSessionDocuments[0].name "AWS-StartPortForwardingSessionToRemoteHost": goes around Run As`}},
		{"command document", "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  allowedSessionDocuments: [{name: AWS-StartInteractiveCommand, runAsEnabled: true, runAsDefaultUser: ops}]\n",
			[]string{`identityCenter.allowedSessionDocuments[0].name "AWS-StartInteractiveCommand": goes around Run As: it runs the command`}},
		{"home-made shell with Run As off", "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  allowedSessionDocuments: [{name: Corp-Shell}]\n",
			[]string{`identityCenter.allowedSessionDocuments[0].name "Corp-Shell": goes around Run As: it has Run As off`}},
		{"acknowledged", "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  allowedSessionDocuments: [{name: AWS-StartSSHSession, acknowledgeRisk: true}]\n", nil},
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
				require.NoError(t, err)
				return
			}
			assertProblems(t, err, tc.want)
		})
	}
}

func TestEntraValidation(t *testing.T) {
	src, err := os.ReadFile(examplePath)
	require.NoError(t, err)
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
			require.NotEqual(t, string(src), edited, "edit %q not applied", tc.old)
			_, err := settings.Parse([]byte(edited))
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, strings.Count(err.Error(), "\n"), "want exactly one problem:\n%v", err)
		})
	}
}

// assertProblems checks err is a field.List whose problems start with want,
// in order.
func assertProblems(t *testing.T, err error, want []string) {
	t.Helper()
	var list field.List
	require.ErrorAs(t, err, &list)
	got := make([]string, len(list))
	for i, e := range list {
		got[i] = e.Error()
	}
	require.Len(t, got, len(want), "problems:\n%s", strings.Join(got, "\n"))
	for i, w := range want {
		assert.True(t, strings.HasPrefix(got[i], w), "problem %d:\n got %s\nwant %s...", i, got[i], w)
	}
}

// TestStructuralErrorsDoNotHideValueErrors: an unknown field, a wrong type
// and a duplicate key are reported together with the rules the rest of
// the file breaks.
func TestStructuralErrorsDoNotHideValueErrors(t *testing.T) {
	src := strings.NewReplacer(
		"model: per-role", "model: per-role\nroless: []",
		"runAsDefaultUser: ssm-fallback", "runAsDefaultUser: root\n  idleSessionTimeoutMinutes: soon",
		"id: o-a1b2c3d4e5", "id: o-BAD\n  id: o-a1b2c3d4e5",
	).Replace(minimal)
	_, err := settings.Parse([]byte(src))
	assertProblems(t, err, []string{
		`roless: unknown field (line 3)`,
		`organization.id: duplicate key (line 6; first at line 5)`,
		`sessionPreferences.idleSessionTimeoutMinutes "soon": must be a whole number`,
		`organization.id "o-BAD": must match`,
		`sessionPreferences.runAsDefaultUser "root": root is not allowed`,
	})
}

func TestSecondDocumentRefused(t *testing.T) {
	_, err := settings.Parse([]byte(minimal + "---\nmodel: per-user\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "second YAML document (line 21, after ---)")
	assert.NotContains(t, err.Error(), "\n")
}

func TestAliasesRefusedFast(t *testing.T) {
	t.Run("one alias", func(t *testing.T) {
		src := strings.Replace(minimal, "targets: [r-ab12]", "targets: &t [r-ab12]\n  regionsAgain: *t", 1)
		_, err := settings.Parse([]byte(src))
		assert.ErrorContains(t, err, "config uses YAML anchors or aliases (line 6, 2 in all)")
	})
	t.Run("a 650 KB alias bomb", func(t *testing.T) {
		// Each level names the previous one ten times: expanded, the last
		// level would be 10^n nodes.
		var b strings.Builder
		b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
		for i := 1; b.Len() < 650*1024; i++ {
			fmt.Fprintf(&b, "a%d: &a%d [", i, i)
			for j := 0; j < 10; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "*a%d", i-1)
			}
			b.WriteString("]\n")
		}
		require.GreaterOrEqual(t, b.Len(), 650*1024)
		start := time.Now()
		_, err := settings.Parse([]byte(b.String()))
		assert.ErrorContains(t, err, "YAML anchors or aliases")
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestWarnings(t *testing.T) {
	c, err := settings.Load(examplePath)
	require.NoError(t, err)
	var got []string
	for _, w := range c.Warnings() {
		got = append(got, w.Error())
	}
	// The example keeps admin (Debian's stock account) for its admin role,
	// on purpose, and warns; its sudo rules are otherwise safe.
	require.Len(t, got, 1, "warnings:\n%s", strings.Join(got, "\n"))
	assert.Contains(t, got[0], `roles[0].linuxUser "admin": is also in guardrail.reservedUsers`)
	assert.NotContains(t, c.ReservedRunAsUsers(), "admin")
	assert.Contains(t, c.ReservedRunAsUsers(), "ec2-user")
}

func TestSudoCommandRisk(t *testing.T) {
	tests := []struct {
		cmd    string
		noExec bool
		want   string
	}{
		{"ALL", false, ""},
		{"/usr/bin/journalctl", true, "without arguments sudo allows any arguments"},
		{"/usr/bin/journalctl -u app", false, "journalctl can start other programs"},
		{"/usr/bin/journalctl -u app", true, ""},
		{"/usr/bin/journalctl --no-pager -u app", false, ""},
		{"/usr/bin/less /var/log/syslog", false, "less can start other programs"},
		{"/usr/bin/find /var/log -name x", false, "find can start other programs"},
		{"/usr/bin/vim /etc/hosts", true, "vim is a shell, interpreter or editor"},
		{"/usr/bin/python3 /opt/tool.py", true, "python3 is a shell, interpreter or editor"},
		{"/usr/bin/env A /bin/sh", true, "env is a shell, interpreter or editor"},
		{"/usr/bin/systemctl restart app", false, ""},
		{"/usr/bin/systemctl status app", false, "systemctl shows this in a pager"},
		{"/usr/bin/systemctl status app --no-pager", false, ""},
		{"/usr/bin/systemctl edit app", true, "systemctl edit opens an editor"},
		{`/usr/bin/uptime ""`, false, ""},
	}
	for _, tc := range tests {
		got := settings.SudoCommandRisk(tc.cmd, tc.noExec)
		if tc.want == "" {
			assert.Empty(t, got, tc.cmd)
		} else {
			assert.Contains(t, got, tc.want, tc.cmd)
		}
	}
}

// TestOtherPartitionsRefused: the policies and templates name the aws
// partition, so a configuration in GovCloud or China is refused with one
// reason naming the instance ARN, not deployed with ARNs that match nothing.
func TestOtherPartitionsRefused(t *testing.T) {
	src, err := os.ReadFile("../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	for part, region := range map[string]string{"aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"} {
		text := strings.ReplaceAll(string(src), "arn:aws:sso:::", "arn:"+part+":sso:::")
		text = regexp.MustCompile(`\b(eu|us)-(west|east|central)-[0-9]\b`).ReplaceAllString(text, region)
		_, err := settings.Parse([]byte(text))
		require.Error(t, err, part)
		assert.Contains(t, err.Error(), `identityCenter.instanceArn "arn:`+part+`:sso:::instance/`, part)
		assert.Contains(t, err.Error(), "is in partition "+part+", which this release does not deploy to", part)
		assert.NotContains(t, err.Error(), "is not a region of partition", "one reason, not one per region")
	}
}
