package runas_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
)

func dcArgs(engine string) *runas.DomainControllerArgs {
	return &runas.DomainControllerArgs{
		Engine: engine, Domain: "corp.example.com", NetBIOS: "CORP", Region: "eu-west-1",
		InstanceType: "t3.large", JoinUser: "ssm-runas-join", JoinOU: "OU=LinuxHosts",
		VPCCIDR: "10.42.0.0/16", StatusParameterName: "/runas/dc/status",
		Seed: directory.Seed{
			Domain: "corp.example.com", OUs: []string{"OU=LinuxHosts"},
			Users:  []directory.User{{Name: "alice", POSIX: &directory.POSIX{UID: 10001, GID: 10000}}},
			Groups: []directory.Group{{Name: "Linux-Users", GID: 10000, Members: []string{"alice"}}},
		},
	}
}

func runDC(t *testing.T, args *runas.DomainControllerArgs) ([]pulumimock.Row, map[string]any) {
	t.Helper()
	outputs := map[string]any{}
	rows, err := pulumimock.Run(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		dc, err := runas.NewDomainController(ctx, "dc", args, pulumi.Provider(p))
		if err != nil {
			return err
		}
		ctx.Export("adminSecretArn", dc.AdminSecretARN)
		pulumi.All(dc.AdminSecretARN, dc.JoinSecretARN, dc.StatusParameter, dc.LogPath).ApplyT(func(v []any) error {
			outputs["adminSecretArn"], outputs["joinSecretArn"], outputs["statusParameter"], outputs["logPath"] = v[0], v[1], v[2], v[3]
			return nil
		})
		return nil
	}))
	require.NoError(t, err)
	return rows, outputs
}

func TestDomainControllerWindows(t *testing.T) {
	rows, outputs := runDC(t, dcArgs(""))
	for _, r := range rows {
		if r.Type != "pulumi:providers:aws" && r.Type != runas.DomainControllerType {
			assert.Equal(t, "dc", r.Parent, "%s %s is the component's child", r.Type, r.Name)
			assert.Equal(t, "aws-eu-west-1", r.Provider, "%s %s uses the caller's provider", r.Type, r.Name)
		}
	}
	types := map[string]int{}
	for _, r := range rows {
		types[r.Type]++
	}
	for typ, n := range map[string]int{
		"aws:ec2/vpc:Vpc": 1, "aws:ec2/subnet:Subnet": 1, "aws:ec2/internetGateway:InternetGateway": 1,
		"aws:ec2/routeTable:RouteTable": 1, "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": 1,
		"aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation": 1, "aws:ec2/securityGroup:SecurityGroup": 1,
		"aws:secretsmanager/secret:Secret": 2, "aws:secretsmanager/secretVersion:SecretVersion": 2,
		"aws:ssm/parameter:Parameter": 1, "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1,
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1, "aws:iam/instanceProfile:InstanceProfile": 1,
		"aws:ec2/instance:Instance": 1,
		// Not shared with an organization: no key, no resource policy.
		"aws:kms/key:Key": 0, "aws:kms/keyPolicy:KeyPolicy": 0, "aws:secretsmanager/secretPolicy:SecretPolicy": 0,
	} {
		assert.Equal(t, n, types[typ], typ)
	}

	inst := find(t, rows, "aws:ec2/instance:Instance", "dc")
	in := inst.Inputs
	assert.Equal(t, "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base", in["ami"])
	assert.Equal(t, "10.42.0.10", in["privateIp"])
	assert.Equal(t, "required", in["metadataOptions"].(map[string]any)["httpTokens"], "IMDSv2 only")
	assert.Equal(t, true, in["rootBlockDevice"].(map[string]any)["encrypted"])
	assert.Nil(t, in["keyName"], "no key pair")
	require.NotNil(t, inst.Options)
	assert.Contains(t, inst.Options.IgnoreChanges, "ami", "a newer AMI does not replace the domain controller")
	userData, _ := in["userData"].(string)
	assert.True(t, strings.HasPrefix(userData, "<powershell>\n"))
	assert.Contains(t, userData, "<persist>true</persist>")
	assert.Contains(t, userData, "$AdminSecretArn = '"+outputs["adminSecretArn"].(string)+"'", "the script reads the secret by its ARN")
	assert.Contains(t, userData, "$StatusParameter = '/runas/dc/status'")

	for _, v := range pulumimock.OfType(rows, "aws:secretsmanager/secretVersion:SecretVersion") {
		assert.Equal(t, "[secret]", v.Inputs["secretString"], "%s: the generated value is a Pulumi secret", v.Name)
		require.NotNil(t, v.Options)
		assert.Contains(t, v.Options.IgnoreChanges, "secretString", "later runs keep the stored password")
	}
	dhcp := find(t, rows, "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "dc-dhcp")
	assert.Equal(t, []any{"10.42.0.10", "AmazonProvidedDNS"}, dhcp.Inputs["domainNameServers"])
	assert.Equal(t, "corp.example.com", dhcp.Inputs["domainName"])

	sg := find(t, rows, "aws:ec2/securityGroup:SecurityGroup", "dc-sg")
	for _, rule := range sg.Inputs["ingress"].([]any) {
		assert.Equal(t, []any{"10.42.0.0/16"}, rule.(map[string]any)["cidrBlocks"], "AD ports open to the VPC only")
	}
	policy := find(t, rows, "aws:iam/rolePolicy:RolePolicy", "dc-bootstrap")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadBootstrapSecrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["`+
		outputs["adminSecretArn"].(string)+`","`+outputs["joinSecretArn"].(string)+`"]},
		{"Sid":"WriteBootstrapStatus","Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:mock:::aws:ssm/parameter:Parameter//runas/dc/status"}]}`,
		policy.Inputs["policy"].(string))
	assert.Equal(t, `C:\ProgramData\ssm-runas\domain-controller.log`, outputs["logPath"])
}

// TestDomainControllerSecretsStayOut: the generated passwords are in no
// input but the secret versions, and there only as secrets.
func TestDomainControllerSecretsStayOut(t *testing.T) {
	rows, _ := runDC(t, dcArgs(runas.DomainControllerSamba))
	inst := find(t, rows, "aws:ec2/instance:Instance", "dc")
	assert.True(t, strings.HasPrefix(inst.Inputs["userData"].(string), "#!/bin/bash\n"))
	assert.Equal(t, "resolve:ssm:/aws/service/debian/release/12/latest/amd64", inst.Inputs["ami"])
	all := asJSON(t, rows)
	// Generated passwords start with this prefix; it must appear nowhere.
	assert.NotContains(t, all, "Aa1.", "a generated password leaked into a recorded input")
}

func TestDomainControllerRefusesBadArgs(t *testing.T) {
	for name, edit := range map[string]func(*runas.DomainControllerArgs){
		"engine":           func(a *runas.DomainControllerArgs) { a.Engine = "openldap" },
		"cidr":             func(a *runas.DomainControllerArgs) { a.VPCCIDR = "10.42.0.0/8" },
		"subnet alone":     func(a *runas.DomainControllerArgs) { a.SubnetID = "subnet-1" },
		"seed":             func(a *runas.DomainControllerArgs) { a.Seed.Users[0].Name = "root" },
		"status param":     func(a *runas.DomainControllerArgs) { a.StatusParameterName = "/aws/x" },
		"no instance type": func(a *runas.DomainControllerArgs) { a.InstanceType = "" },
		"organization":     func(a *runas.DomainControllerArgs) { a.OrganizationID = "org-1" },
		"client network":   func(a *runas.DomainControllerArgs) { a.ClientCIDRs = []string{"10.60.0.1/16"} },
		// EC2 refuses a rule that names one range twice.
		"client network twice":      func(a *runas.DomainControllerArgs) { a.ClientCIDRs = []string{"10.60.0.0/16", "10.60.0.0/16"} },
		"client network is the VPC": func(a *runas.DomainControllerArgs) { a.ClientCIDRs = []string{"10.42.0.0/16"} },
		"client network in the VPC": func(a *runas.DomainControllerArgs) { a.ClientCIDRs = []string{"10.42.7.0/24"} },
	} {
		t.Run(name, func(t *testing.T) {
			args := dcArgs("")
			edit(args)
			rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
				_, err := runas.NewDomainController(ctx, "dc", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "NewDomainController")
			assert.Empty(t, pulumimock.OfType(rows, "aws:ec2/instance:Instance"), "nothing registered")
		})
	}
}

// TestDomainControllerUserDataLimit: the Samba bootstrap is the user data
// too, so a seed that makes it larger than EC2 takes (16 KiB) is refused
// before anything is registered, as it is for Windows.
func TestDomainControllerUserDataLimit(t *testing.T) {
	for _, engine := range []string{runas.DomainControllerWindows, runas.DomainControllerSamba} {
		t.Run(engine, func(t *testing.T) {
			args := dcArgs(engine)
			for i := range 400 {
				args.Seed.Users = append(args.Seed.Users, directory.User{Name: "user" + strconv.Itoa(i)})
			}
			rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
				_, err := runas.NewDomainController(ctx, "dc", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "more than the 16384 EC2 accepts")
			assert.Empty(t, pulumimock.OfType(rows, "aws:ec2/instance:Instance"), "nothing registered")
		})
	}
}

// TestDomainControllerExistingNetwork: in an existing VPC the component
// creates no network and leaves the VPC's DNS alone; the AD ports open to
// the VPC's own range.
func TestDomainControllerExistingNetwork(t *testing.T) {
	args := dcArgs("")
	args.VPCID, args.SubnetID, args.VPCCIDR = "vpc-0123456789abcdef0", "subnet-0123456789abcdef0", ""
	rows, _ := runDC(t, args)
	for _, typ := range []string{"aws:ec2/subnet:Subnet", "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "aws:ec2/internetGateway:InternetGateway"} {
		assert.Empty(t, pulumimock.OfType(rows, typ), "%s in an existing VPC", typ)
	}
	// The VPC is only read (for its address range), never declared.
	vpc := find(t, rows, "aws:ec2/vpc:Vpc", "dc-vpc")
	assert.Empty(t, vpc.Inputs, "an existing VPC is read, not created")
	inst := find(t, rows, "aws:ec2/instance:Instance", "dc")
	assert.Equal(t, "subnet-0123456789abcdef0", inst.Inputs["subnetId"])
	assert.Nil(t, inst.Inputs["privateIp"], "the subnet assigns the address")
	sg := find(t, rows, "aws:ec2/securityGroup:SecurityGroup", "dc-sg")
	assert.Equal(t, "vpc-0123456789abcdef0", sg.Inputs["vpcId"])
}

// vpcReader answers like pulumimock.Recorder, and reads an existing VPC
// with the address range the provider reports for it.
type vpcReader struct {
	*pulumimock.Recorder
	cidr string
}

func (m *vpcReader) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs, err := m.Recorder.NewResource(args)
	if err == nil && args.TypeToken == "aws:ec2/vpc:Vpc" && args.ID != "" {
		outs["cidrBlock"] = resource.NewStringProperty(m.cidr)
	}
	return id, outs, err
}

// TestDomainControllerExistingNetworkClients: in an existing VPC the AD
// ports open to the range the VPC has, and a client range equal to it is
// not named a second time (EC2 refuses a rule that names one range twice:
// "The same permission must not appear multiple times").
func TestDomainControllerExistingNetworkClients(t *testing.T) {
	args := dcArgs("")
	args.VPCID, args.SubnetID, args.VPCCIDR = "vpc-0123456789abcdef0", "subnet-0123456789abcdef0", ""
	args.ClientCIDRs = []string{"10.60.0.0/16", "10.50.0.0/16", "10.61.0.0/16"}
	rec := &vpcReader{Recorder: &pulumimock.Recorder{}, cidr: "10.50.0.0/16"}
	err := pulumi.RunErr(withProvider("eu-west-1", func(ctx *pulumi.Context, p pulumi.ProviderResource) error {
		_, err := runas.NewDomainController(ctx, "dc", args, pulumi.Provider(p))
		return err
	}), pulumi.WithMocks(pulumimock.Project, pulumimock.Stack, rec))
	require.NoError(t, err)
	ingress := find(t, rec.Rows(), "aws:ec2/securityGroup:SecurityGroup", "dc-sg").Inputs["ingress"].([]any)
	require.Len(t, ingress, len(runas.ADPorts))
	for _, rule := range ingress {
		assert.Equal(t, []any{"10.50.0.0/16", "10.60.0.0/16", "10.61.0.0/16"}, rule.(map[string]any)["cidrBlocks"])
	}
}

// TestDomainControllerSharesJoinSecret: with an organization the join
// secret gets a customer managed key and a resource policy for the
// organization; the administrator's secret stays in the account.
func TestDomainControllerSharesJoinSecret(t *testing.T) {
	args := dcArgs(runas.DomainControllerSamba)
	args.OrganizationID = "o-a1b2c3d4e5"
	args.ClientCIDRs = []string{"10.60.0.0/16"}
	rows, outputs := runDC(t, args)
	key := find(t, rows, "aws:kms/key:Key", "dc-join")
	assert.Equal(t, true, key.Inputs["enableKeyRotation"])
	assert.EqualValues(t, 7, key.Inputs["deletionWindowInDays"])
	assert.Equal(t, "arn:aws:mock:::aws:kms/key:Key/dc-join-id", find(t, rows, "aws:secretsmanager/secret:Secret", "dc-join").Inputs["kmsKeyId"])
	assert.NotContains(t, find(t, rows, "aws:secretsmanager/secret:Secret", "dc-admin").Inputs, "kmsKeyId")

	join := outputs["joinSecretArn"].(string)
	want, err := runas.JoinKeyPolicy(join, "o-a1b2c3d4e5")
	require.NoError(t, err)
	assert.JSONEq(t, string(want.JSON()), find(t, rows, "aws:kms/keyPolicy:KeyPolicy", "dc-join").Inputs["policy"].(string))
	sp := find(t, rows, "aws:secretsmanager/secretPolicy:SecretPolicy", "dc-join")
	assert.JSONEq(t, string(runas.JoinSecretPolicy(join, "o-a1b2c3d4e5").JSON()), sp.Inputs["policy"].(string))
	assert.Equal(t, false, sp.Inputs["blockPublicPolicy"], "Secrets Manager's public-policy check does not accept aws:PrincipalOrgID as a limit")
	for _, rule := range find(t, rows, "aws:ec2/securityGroup:SecurityGroup", "dc-sg").Inputs["ingress"].([]any) {
		assert.Equal(t, []any{"10.42.0.0/16", "10.60.0.0/16"}, rule.(map[string]any)["cidrBlocks"], "AD ports open to the VPC and the client networks")
	}
	assert.Contains(t, find(t, rows, "aws:iam/rolePolicy:RolePolicy", "dc-bootstrap").Inputs["policy"], `"kms:EncryptionContext:SecretARN":"`+join+`"`,
		"the domain controller decrypts its join secret with the new key")
}

func TestJoinKeyPolicy(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/dc-join-AbCdEf"
	doc, err := runas.JoinKeyPolicy(arn, "o-a1b2c3d4e5")
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AccountAdministersTheKey","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
	  {"Sid":"OrganizationDecryptsTheJoinSecret","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",
	   "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5","kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com",
	     "kms:EncryptionContext:SecretARN":"`+arn+`"}}}]}`, string(doc.JSON()))
	gov, err := runas.JoinKeyPolicy("arn:aws-us-gov:secretsmanager:us-gov-west-1:111111111111:secret:j-AbCdEf", "o-a1b2c3d4e5")
	require.NoError(t, err)
	assert.Contains(t, string(gov.JSON()), `"arn:aws-us-gov:iam::111111111111:root"`, "the partition of the secret")
	_, err = runas.JoinKeyPolicy("arn:aws:mock:::secret", "o-a1b2c3d4e5")
	assert.ErrorContains(t, err, "must be a Secrets Manager secret ARN")
}

// TestJoinSecretPolicyDecisions evaluates the join secret's resource
// policy with the IAM policy evaluator for hosts in other accounts: a host
// of the organization whose role carries the join policy reads it; one of
// another organization, or without that policy, does not. (The key's
// kms:Decrypt statement is checked by its text in TestJoinKeyPolicy: the
// evaluator ignores kms:EncryptionContext:<key> context keys.)
func TestJoinSecretPolicyDecisions(t *testing.T) {
	require.NoError(t, iamsim.Check())
	const arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ssm-runas/dc-join-AbCdEf"
	const org = "o-a1b2c3d4e5"
	resourcePolicy := runas.JoinSecretPolicy(arn, org).JSON()
	hostPolicy, err := hostjoin.SecretReadPolicy(arn)
	require.NoError(t, err)
	cases := []struct {
		name, account, orgID string
		identity             []iamsim.Policy
		allowed              bool
	}{
		{"host of a member account", "222222222222", org, []iamsim.Policy{{Name: "domain-join", Policy: hostPolicy.JSON()}}, true},
		{"host of another organization", "333333333333", "o-zzzzzzzzzz", []iamsim.Policy{{Name: "domain-join", Policy: hostPolicy.JSON()}}, false},
		{"member account role without the join policy", "222222222222", org, nil, false},
	}
	var reqs []iamsim.Request
	for i, tc := range cases {
		reqs = append(reqs, iamsim.Request{
			Name:             strconv.Itoa(i),
			IdentityPolicies: tc.identity,
			ResourcePolicy:   resourcePolicy,
			Principal:        "arn:aws:sts::" + tc.account + ":assumed-role/web-host/i-0123456789abcdef0",
			Action:           "secretsmanager:GetSecretValue", Resource: arn, ResourceAccount: "111111111111",
			Context: map[string]any{"aws:PrincipalAccount": tc.account, "aws:PrincipalOrgID": tc.orgID, "aws:RequestedRegion": "eu-west-1"},
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	allowed, err := iamsim.Decide(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, allowed, len(cases))
	for i, ok := range allowed {
		assert.Equal(t, cases[i].allowed, ok, cases[i].name)
	}
}
