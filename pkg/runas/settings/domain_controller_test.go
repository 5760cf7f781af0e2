package settings_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const domainControllerExamplePath = "../../../examples/domain-controller/runas.yaml"

const minimalDomainController = `
model: domain-controller
organization:
  id: o-a1b2c3d4e5
  managementAccountId: "012345678901"
  targets: [r-ab12]
  regions: [eu-west-1]
sessionPreferences:
  runAsDefaultUser: ssm-fallback
identityCenter:
  instanceArn: arn:aws:sso:::instance/ssoins-72230e1a2b3c4d5e
  region: eu-west-1
  identityStoreId: d-9067a1b2c3
  runAsSource: ${path:enterprise.costCenter}
domainController:
  domain: corp.example.com
  seed:
    users:
      - {name: alice}
    groups:
      - {name: Linux-Users, members: [alice]}
perUser:
  domain: {fromDomainControllerStack: true}
  loginGroups: [Linux-Users]
`

func TestDomainControllerDefaults(t *testing.T) {
	c, err := settings.Parse([]byte(minimalDomainController))
	require.NoError(t, err)
	d := c.DomainController
	require.NotNil(t, d)
	assert.Equal(t, settings.EngineWindows, d.Engine, "Windows is the default engine")
	assert.Equal(t, "CORP", d.NetBIOSName)
	assert.Equal(t, "eu-west-1", d.Region, "the home region")
	assert.Equal(t, "t3.large", d.InstanceType)
	assert.Equal(t, settings.DCNetwork{CIDR: "10.42.0.0/16"}, d.Network)
	assert.Equal(t, "ssm-runas-join", d.JoinUser)
	assert.Equal(t, "OU=LinuxHosts", d.JoinOU)
	assert.Equal(t, []string{"OU=LinuxHosts"}, d.SeedOUs(), "the join OU is seeded")
	assert.Equal(t, "OU=LinuxHosts,DC=corp,DC=example,DC=com", d.JoinOUDN())
	assert.True(t, d.DemoHostEnabled())
	assert.Equal(t, "t3.micro", d.DemoHost.InstanceType)

	samba, err := settings.Parse([]byte(strings.Replace(minimalDomainController, "  domain: corp.example.com", "  engine: samba\n  domain: corp.example.com", 1)))
	require.NoError(t, err)
	assert.Equal(t, "t3.small", samba.DomainController.InstanceType)
}

func TestDomainControllerExample(t *testing.T) {
	data, err := os.ReadFile(domainControllerExamplePath)
	require.NoError(t, err)
	c, err := settings.Parse(data)
	require.NoError(t, err)
	d := c.DomainController
	assert.Equal(t, settings.ModelDomainController, c.Model)
	assert.Len(t, d.Seed.Users, 4)
	assert.Equal(t, d.Seed.OUs, d.SeedOUs(), "the example lists its join OU")
	assert.False(t, c.PerUser.IDMappingEnabled())
}

func TestDomainControllerRules(t *testing.T) {
	tests := []struct {
		name      string
		old, new_ string
		want      []string
	}{
		{"unknown engine", "  domain: corp.example.com", "  engine: openldap\n  domain: corp.example.com",
			[]string{`domainController.engine "openldap": must be windows or samba`}},
		{"upper-case domain", "  domain: corp.example.com", "  domain: Corp.Example.com",
			[]string{`domainController.domain "Corp.Example.com": must be a DNS name in lower case`}},
		{"long NetBIOS name", "  domain: corp.example.com", "  domain: corp.example.com\n  netbiosName: CORPORATIONEXAMPLE",
			[]string{`domainController.netbiosName "CORPORATIONEXAMPLE": must be 1-15`}},
		{"subnets without a VPC", "  domain: corp.example.com", "  domain: corp.example.com\n  network: {subnetIds: [subnet-0123456789abcdef0]}",
			[]string{`domainController.network.vpcId: is required with subnetIds`}},
		{"VPC without subnets", "  domain: corp.example.com", "  domain: corp.example.com\n  network: {vpcId: vpc-0123456789abcdef0}",
			[]string{`domainController.network.subnetIds: is required with vpcId`}},
		{"tiny VPC", "  domain: corp.example.com", "  domain: corp.example.com\n  network: {cidr: 10.0.0.0/28}",
			[]string{`domainController.network.cidr "10.0.0.0/28": must be an IPv4 network from /16 to /24`}},
		{"name no Run As can carry", "{name: alice}", "{name: Alice.Smith}",
			[]string{`domainController.seed.users[0].name "Alice.Smith": its Run As name "alice.smith"`}},
		{"the domain's administrator", "{name: alice}", "{name: Administrator}",
			[]string{`domainController.seed.users[0].name "Administrator": is an account the domain or the stack already has`}},
		{"uid zero", "{name: alice}", "{name: alice, uid: 0, gid: 10000}",
			[]string{`domainController.seed.users[0].uid "0/10000": uid and gid must both be set and at least 1000`}},
		{"RFC2307 without IDs", "{name: alice}", "{name: alice, uid: 10001, gid: 10000}\n      - {name: bob}",
			nil},
		{"member not in the seed", "members: [alice]", "members: [alice, mallory]",
			[]string{`domainController.seed.groups[0].members[1] "mallory": is neither a user nor a group of the seed`}},
		{"group named like a user", "    groups:\n", "    groups:\n      - {name: ALICE}\n",
			[]string{`domainController.seed.groups[0].name "ALICE": is also domainController.seed.users[0].name`}},
		{"user in an unknown OU", "{name: alice}", "{name: alice, ou: OU=People}",
			[]string{`domainController.seed.users[0].ou "OU=People": must be one of seed.ous`}},
		{"join OU under an unknown parent", "  domain: corp.example.com", "  domain: corp.example.com\n  joinOu: OU=Linux,OU=Servers",
			[]string{`domainController.joinOu "OU=Linux,OU=Servers": its parent OU=Servers must be one of seed.ous`}},
		{"hosts join another domain", "  domain: {fromDomainControllerStack: true}",
			"  domain:\n    name: corp.example.com\n    dnsServers: [10.0.0.10]\n    joinSecretArn: arn:aws:secretsmanager:eu-west-1:012345678901:secret:join-AbCdEf",
			[]string{`perUser.domain.fromDomainControllerStack "false": must be true with the domain-controller model`}},
		{"login group the seed lacks", "  loginGroups: [Linux-Users]", "  loginGroups: [Linux-Users, Admins]",
			[]string{`perUser.loginGroups[1] "Admins": must be a group of domainController.seed.groups`}},
		{"client network too wide", "  domain: corp.example.com", "  domain: corp.example.com\n  network:\n    clientCidrs: [10.60.0.0/16, 0.0.0.0/0]",
			[]string{`domainController.network.clientCidrs[1] "0.0.0.0/0": must be an IPv4 network of /8 or narrower`}},
		{"client network twice", "  domain: corp.example.com", "  domain: corp.example.com\n  network:\n    clientCidrs: [10.60.0.0/16, 10.60.0.0/16]",
			[]string{`domainController.network.clientCidrs[1] "10.60.0.0/16": is listed twice`}},
		{"client network inside the VPC", "  domain: corp.example.com", "  domain: corp.example.com\n  network:\n    clientCidrs: [10.42.0.0/16]",
			[]string{`domainController.network.clientCidrs[0] "10.42.0.0/16": overlaps network.cidr 10.42.0.0/16`}},
		{"client network around the VPC", "  domain: corp.example.com", "  domain: corp.example.com\n  network:\n    cidr: 10.42.0.0/24\n    clientCidrs: [10.0.0.0/8]",
			[]string{`domainController.network.clientCidrs[0] "10.0.0.0/8": overlaps network.cidr 10.42.0.0/24`}},
		{"client networks", "  domain: corp.example.com", "  domain: corp.example.com\n  network:\n    clientCidrs: [10.60.0.0/16, 10.61.0.0/16]",
			nil},
		{"no identity center", "identityCenter:\n  instanceArn: arn:aws:sso:::instance/ssoins-72230e1a2b3c4d5e\n  region: eu-west-1\n  identityStoreId: d-9067a1b2c3\n  runAsSource: ${path:enterprise.costCenter}\n", "",
			[]string{`identityCenter: is required for the domain-controller model`}},
		{"perUser.joinOu set", "  loginGroups: [Linux-Users]", "  loginGroups: [Linux-Users]\n  joinOu: OU=X,DC=corp,DC=example,DC=com",
			[]string{`perUser.joinOu "OU=X,DC=corp,DC=example,DC=com": must be unset with the domain-controller model`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, minimalDomainController, tc.old)
			_, err := settings.Parse([]byte(strings.Replace(minimalDomainController, tc.old, tc.new_, 1)))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestRFC2307NeedsIDs(t *testing.T) {
	cfg := strings.Replace(minimalDomainController, "  loginGroups: [Linux-Users]", "  idMapping: false\n  loginGroups: [Linux-Users]", 1)
	_, err := settings.Parse([]byte(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "domainController.seed.users[0].uid: is required with perUser.idMapping: false")

	_, err = settings.Parse([]byte(strings.Replace(cfg, "{name: alice}", "{name: alice, uid: 10001, gid: 10000}", 1)))
	assert.NoError(t, err)
}

func TestDomainControllerSectionOnlyForItsModel(t *testing.T) {
	cfg := strings.Replace(minimalDomainController, "model: domain-controller", "model: per-role", 1)
	_, err := settings.Parse([]byte(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "domainController: is only read by the domain-controller model")

	cfg = minimalDomainController[:strings.Index(minimalDomainController, "domainController:")] +
		minimalDomainController[strings.Index(minimalDomainController, "perUser:"):]
	_, err = settings.Parse([]byte(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "domainController: is required for the domain-controller model")
}
