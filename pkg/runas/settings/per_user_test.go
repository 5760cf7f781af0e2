package settings_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const perUserExamplePath = "../../../examples/per-user/runas.yaml"

const minimalPerUser = `
model: per-user
organization:
  id: o-a1b2c3d4e5
  managementAccountId: "012345678901"
  targets: [r-ab12]
  regions: [eu-west-1]
sessionPreferences:
  runAsDefaultUser: ssm-fallback
perUser:
  domain:
    name: corp.example.com
    dnsServers: [10.0.0.10, 10.0.1.10]
    joinSecretArn: arn:aws:secretsmanager:eu-west-1:012345678901:secret:ssm-runas/join-AbCdEf
  loginGroups: [Linux-Users]
  sudo:
    - group: Linux-Admins
      rule: {commands: [ALL], noPassword: true}
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef
  region: eu-west-1
  identityStoreId: d-1234567890
`

func TestPerUserDefaults(t *testing.T) {
	c, err := settings.Parse([]byte(minimalPerUser))
	require.NoError(t, err)
	require.NotNil(t, c.PerUser)
	p := c.PerUser
	assert.Equal(t, "CORP.EXAMPLE.COM", p.Domain.Realm)
	assert.Equal(t, settings.DefaultPerUserSourceAttribute, p.UserSource)
	assert.True(t, p.IDMappingEnabled(), "ID mapping is the default")
	assert.False(t, p.FullyQualifiedNames)
	assert.Empty(t, p.DefaultDomainSuffix, "bare names need no suffix")
	assert.Equal(t, "/bin/bash", p.Shell)
	assert.Equal(t, "ALL", p.Sudo[0].Rule.RunAs)
	assert.Equal(t, settings.HostJoin{
		TargetTagKey: "ssm-runas:domain-join", TargetTagValue: "true", Schedule: "rate(30 minutes)",
	}, p.Hosts)
	assert.False(t, c.HostAccountsEnabled(), "the per-user model creates no role accounts")
}

func TestPerUserFullyQualifiedNamesDefaultToTheDomainSuffix(t *testing.T) {
	c, err := settings.Parse([]byte(strings.Replace(minimalPerUser, "  loginGroups:", "  fullyQualifiedNames: true\n  loginGroups:", 1)))
	require.NoError(t, err)
	assert.Equal(t, "corp.example.com", c.PerUser.DefaultDomainSuffix)
}

func TestPerUserValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		// edits replace old with new in minimalPerUser, in order.
		edits [][2]string
		want  []string
	}{
		{"bad domain name", [][2]string{{"name: corp.example.com", "name: Corp_Example"}},
			[]string{
				`perUser.domain.name "Corp_Example": must be the domain's DNS name in lower case, e.g. corp.example.com`,
			}},
		{"realm differs", [][2]string{{"name: corp.example.com", "name: corp.example.com\n    realm: CORP"}},
			[]string{`perUser.domain.realm "CORP": must be the domain name in upper case: an Active Directory domain's Kerberos realm is CORP.EXAMPLE.COM`}},
		{"dns server not an address", [][2]string{{"10.0.1.10", "dc2.corp.example.com"}},
			[]string{`perUser.domain.dnsServers[1] "dc2.corp.example.com": must be an IP address`}},
		{"no dns servers", [][2]string{{"    dnsServers: [10.0.0.10, 10.0.1.10]\n", ""}},
			[]string{`perUser.domain.dnsServers: is required: the IP addresses of DNS servers that answer for the domain`}},
		{"controller outside the domain", [][2]string{{"    dnsServers:", "    controllers: [dc1.other.example]\n    dnsServers:"}},
			[]string{`perUser.domain.controllers[0] "dc1.other.example": must be a domain controller's host name in lower case inside the domain, e.g. dc1.corp.example.com`}},
		{"secret ARN of another service", [][2]string{{"arn:aws:secretsmanager:eu-west-1:012345678901:secret:ssm-runas/join-AbCdEf", "arn:aws:ssm:eu-west-1:012345678901:parameter/join"}},
			[]string{`perUser.domain.joinSecretArn "arn:aws:ssm:eu-west-1:012345678901:parameter/join": must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`}},
		{"domain controller stack outside its model", [][2]string{{"    name: corp.example.com\n", "    fromDomainControllerStack: true\n"}},
			[]string{
				`perUser.domain.fromDomainControllerStack "true": is only possible with model domain-controller; name an existing domain instead`,
				`perUser.domain.dnsServers: must be unset with fromDomainControllerStack: the domain controller stack provides it`,
				`perUser.domain.joinSecretArn: must be unset with fromDomainControllerStack: the domain controller stack provides it`,
			}},
		{"join OU in another domain", [][2]string{{"  loginGroups:", "  joinOu: OU=Linux,DC=other,DC=example\n  loginGroups:"}},
			[]string{`perUser.joinOu "OU=Linux,DC=other,DC=example": must end with the domain's components DC=corp,DC=example,DC=com`}},
		{"join OU with an injected RDN", [][2]string{{"  loginGroups:", "  joinOu: \"OU=Linux;rm -rf,DC=corp,DC=example,DC=com\"\n  loginGroups:"}},
			[]string{`perUser.joinOu "OU=Linux;rm -rf,DC=corp,DC=example,DC=com": must be a distinguished name such as OU=Linux,DC=corp,DC=example,DC=com (letters, digits, space, _ . - in each part)`}},
		{"join OU is the domain", [][2]string{{"  loginGroups:", "  joinOu: DC=corp,DC=example,DC=com\n  loginGroups:"}},
			[]string{`perUser.joinOu "DC=corp,DC=example,DC=com": must name an OU or container inside the domain, not the domain itself`}},
		{"user source from groups", [][2]string{{"  loginGroups:", "  userSource: department\n  loginGroups:"}},
			[]string{`perUser.userSource "department": must be an attribute of the person's own profile: onPremisesSamAccountName, mailNickname or extensionAttribute1-15`}},
		{"suffix without qualified names", [][2]string{{"  loginGroups:", "  defaultDomainSuffix: corp.example.com\n  loginGroups:"}},
			[]string{`perUser.defaultDomainSuffix "corp.example.com": is only read with fullyQualifiedNames: true; bare names already resolve`}},
		{"suffix of the UPN domain", [][2]string{{"  loginGroups:", "  fullyQualifiedNames: true\n  defaultDomainSuffix: example.com\n  loginGroups:"}},
			[]string{`perUser.defaultDomainSuffix "example.com": must be the joined domain corp.example.com: bare Run As names are looked up in it (the Entra UPN suffix is not what hosts search)`}},
		{"ID mapping not a bool", [][2]string{{"  loginGroups:", "  idMapping: rfc2307\n  loginGroups:"}},
			[]string{`perUser.idMapping "rfc2307": must be true or false (line 15)`}},
		{"no login groups", [][2]string{{"  loginGroups: [Linux-Users]\n", ""}},
			[]string{`perUser.loginGroups: is required: at least one AD group whose members land on the hosts`}},
		{"group with a sudoers separator", [][2]string{{"[Linux-Users]", "[\"Linux,Users\"]"}},
			[]string{`perUser.loginGroups[0] "Linux,Users": must be an AD group name of at most 64 letters, digits, spaces, _ . - (starting with a letter or digit)`}},
		{"duplicate sudo group in another case", [][2]string{{"      rule: {commands: [ALL], noPassword: true}", "      rule: {commands: [ALL], noPassword: true}\n    - group: linux-admins\n      rule: {commands: [/usr/bin/id]}"}},
			[]string{`perUser.sudo[1].group "linux-admins": is also perUser.sudo[0].group (AD group names compare without regard to case)`}},
		{"sudo command with a separator", [][2]string{{"commands: [ALL]", "commands: [\"/usr/bin/systemctl restart a, /bin/sh\"]"}},
			[]string{`perUser.sudo[0].rule.commands[0] "/usr/bin/systemctl restart a, /bin/sh": must be ALL, or an absolute path followed by plain arguments or by "" (no , : = \ * ? [ or newlines)`}},
		{"sudo run as an invalid user", [][2]string{{"noPassword: true}", "noPassword: true, runAs: \"Admin!\"}"}},
			[]string{`perUser.sudo[0].rule.runAs "Admin!": must be ALL or a user name`}},
		{"sudo without commands", [][2]string{{"{commands: [ALL], noPassword: true}", "{noPassword: true}"}},
			[]string{`perUser.sudo[0].rule.commands: is required: ALL or absolute command paths`}},
		{"bad schedule", [][2]string{{"  loginGroups:", "  hosts: {schedule: every hour}\n  loginGroups:"}},
			[]string{`perUser.hosts.schedule "every hour": must be rate(N minutes|hours|days) or cron(...)`}},
		{"no identity center", [][2]string{{"identityCenter:\n  instanceArn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n  region: eu-west-1\n  identityStoreId: d-1234567890\n", ""}},
			[]string{`identityCenter: is required for the per-user model: it deploys the ABAC attribute and the permission sets that carry each person's value`}},
		{"per-role model", [][2]string{{"model: per-user", "model: per-role"}},
			[]string{
				`roles: is required for the per-role model: at least one role`,
				`perUser: is only read by the per-user and domain-controller models; remove it or change model`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := minimalPerUser
			for _, e := range tc.edits {
				require.Contains(t, cfg, e[0], "the edit must apply")
				cfg = strings.Replace(cfg, e[0], e[1], 1)
			}
			_, err := settings.Parse([]byte(cfg))
			require.Error(t, err)
			var list field.List
			require.True(t, errors.As(err, &list), "want a field.List, got %T: %v", err, err)
			got := make([]string, len(list))
			for i, e := range list {
				got[i] = e.Error()
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPerUserRequiredForItsModels(t *testing.T) {
	cfg := minimalPerUser[:strings.Index(minimalPerUser, "perUser:")]
	_, err := settings.Parse([]byte(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "perUser: is required for the per-user model")
}

func TestPerUserDomainFromTheDomainControllerStack(t *testing.T) {
	cfg := strings.Replace(minimalPerUser, "model: per-user", "model: domain-controller", 1)
	cfg = strings.Replace(cfg, `    name: corp.example.com
    dnsServers: [10.0.0.10, 10.0.1.10]
    joinSecretArn: arn:aws:secretsmanager:eu-west-1:012345678901:secret:ssm-runas/join-AbCdEf
`, "    fromDomainControllerStack: true\n", 1)
	// The model builds the domain, so it needs the domain it builds, and
	// deploys the per-user model's Identity Center side on it.
	cfg += "domainController:\n  domain: corp.example.com\n  seed:\n    users: [{name: alice}]\n    groups:\n" +
		"      - {name: Linux-Users, members: [alice]}\n      - {name: Linux-Admins, members: [alice]}\n"
	cfg = strings.Replace(cfg, "  identityStoreId: d-1234567890\n", "  identityStoreId: d-1234567890\n  runAsSource: ${path:enterprise.costCenter}\n", 1)
	c, err := settings.Parse([]byte(cfg))
	require.NoError(t, err)
	assert.True(t, c.PerUser.Domain.FromDomainControllerStack)
	assert.Empty(t, c.PerUser.Domain.Realm, "the stack provides the realm with the domain")
}

func TestPerUserSourceMustAgreeWithEntra(t *testing.T) {
	entra := `
entra:
  tenantId: 11111111-2222-3333-4444-555555555555
  identifierUri: https://eu-west-1.signin.aws/platform/saml/d-1234567890
  acsUrls: [https://eu-west-1.signin.aws/platform/saml/acs/d-1234567890]
  scim:
    endpoint: https://scim.eu-west-1.amazonaws.com/abcd1234/scim/v2
`
	cfg := strings.Replace(minimalPerUser, "  loginGroups:", "  userSource: mailNickname\n  loginGroups:", 1) + entra
	_, err := settings.Parse([]byte(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(),
		`perUser.userSource "mailNickname": must be the attribute entra.scim.sourceAttribute provisions (onPremisesSamAccountName): set both to the same attribute`)

	cfg = strings.Replace(cfg, "/scim/v2\n", "/scim/v2\n    sourceAttribute: mailNickname\n", 1)
	c, err := settings.Parse([]byte(cfg))
	require.NoError(t, err)
	assert.Equal(t, "mailNickname", c.PerUser.UserSource)
}

func TestSudoValidateIsTheRoleRule(t *testing.T) {
	p := field.Path("x")
	assert.Empty(t, settings.Sudo{Commands: []string{"ALL"}, RunAs: "ALL"}.Validate(p))
	assert.Empty(t, settings.Sudo{Commands: []string{"/usr/bin/systemctl restart nginx"}, RunAs: "postgres"}.Validate(p))
	errs := settings.Sudo{Commands: []string{"sh"}, RunAs: "root;id"}.Validate(p)
	require.Len(t, errs, 2)
	assert.Equal(t, `x.commands[0] "sh": must be ALL, or an absolute path followed by plain arguments or by "" (no , : = \ * ? [ or newlines)`, errs[0].Error())
	assert.Equal(t, `x.runAs "root;id": must be ALL or a user name`, errs[1].Error())
}

func TestValidADGroupName(t *testing.T) {
	for name, want := range map[string]bool{
		"Linux-Admins": true, "DB Operators": true, "sre_oncall.eu": true,
		"": false, " lead": false, "trail ": false, "a,b": false, "a:b": false, `a\b`: false, "a%b": false,
		"a\nb": false, strings.Repeat("g", 64): true, strings.Repeat("g", 65): false,
	} {
		assert.Equal(t, want, settings.ValidADGroupName(name), "ValidADGroupName(%q)", name)
	}
}

func TestLoadPerUserExample(t *testing.T) {
	c, err := settings.Load(perUserExamplePath)
	require.NoError(t, err, "the shipped per-user example must be valid")
	assert.Equal(t, settings.ModelPerUser, c.Model)
	require.NotNil(t, c.PerUser)
	assert.NotEmpty(t, c.PerUser.Sudo)
}

func ExampleBaseDN() {
	fmt.Println(settings.BaseDN("corp.example.com"))
	// Output: DC=corp,DC=example,DC=com
}

func TestPerUserWarnings(t *testing.T) {
	cfg := strings.Replace(minimalPerUser, "      rule: {commands: [ALL], noPassword: true}",
		"      rule: {commands: [ALL], noPassword: true}\n    - group: Ops\n      rule: {commands: [/usr/bin/journalctl -u nginx, /usr/bin/vim /etc/hosts]}", 1)
	c, err := settings.Parse([]byte(cfg))
	require.NoError(t, err)
	got := make([]string, 0, 2)
	for _, w := range c.Warnings() {
		got = append(got, w.Error())
	}
	assert.Equal(t, []string{
		`perUser.sudo[1].rule.commands[0] "/usr/bin/journalctl -u nginx": journalctl can start other programs (a pager's !sh, -exec): set noExec: true`,
		`perUser.sudo[1].rule.commands[1] "/usr/bin/vim /etc/hosts": vim is a shell, interpreter or editor, or writes files or changes identity: it gives root even with noExec`,
	}, got)
	example, err := settings.Load(perUserExamplePath)
	require.NoError(t, err)
	assert.Empty(t, example.Warnings(), "the shipped example's rules are safe")
}
