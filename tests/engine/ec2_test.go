package engine

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDomainControllerDiffsFollowTheProviderSchema checks the fake Diff of
// the domain controller's resource types against the rules of a Terraform
// plan on terraform-provider-aws v5.
func TestDomainControllerDiffsFollowTheProviderSchema(t *testing.T) {
	const resolve = "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"
	instance := func(kv ...any) map[string]any {
		m := map[string]any{"ami": resolve, "instanceType": "t3.large", "subnetId": "subnet-1", "userData": "phase 1",
			"rootBlockDevice": map[string]any{"encrypted": true, "volumeSize": 50.0, "volumeType": "gp3"}}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	launched := instance("ami", "ami-0b2d1c2e3f4a5b601", "getPasswordData", false, "sourceDestCheck", true,
		"userDataReplaceOnChange", false, "privateIp", "10.42.0.10")
	checkDiffs(t, []diffCase{
		{
			name:      "new user data stops and starts the instance, it does not replace it",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance("userData", "phase 1 and a new person"),
			ignore:    []string{"ami"},
			changed:   []resource.PropertyKey{"userData"},
		},
		{
			name:      "new user data replaces the instance with user_data_replace_on_change",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance("userData", "phase 1 and a new person", "userDataReplaceOnChange", true),
			ignore:    []string{"ami"},
			changed:   []resource.PropertyKey{"userData", "userDataReplaceOnChange"},
			replace:   []resource.PropertyKey{"userData"},
		},
		{
			name:      "resolve:ssm: against the image EC2 launched replaces the instance without ignoreChanges",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance(),
			changed:   []resource.PropertyKey{"ami"},
			replace:   []resource.PropertyKey{"ami"},
		},
		{
			name:      "ignoreChanges on ami keeps the launched image",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance(),
			ignore:    []string{"ami"},
		},
		{
			name:      "a bigger root volume is modified in place",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance("rootBlockDevice", map[string]any{"encrypted": true, "volumeSize": 80.0, "volumeType": "gp3"}),
			ignore:    []string{"ami"},
			changed:   []resource.PropertyKey{"rootBlockDevice"},
		},
		{
			name:      "an unencrypted root volume replaces the instance",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance("rootBlockDevice", map[string]any{"encrypted": false, "volumeSize": 50.0, "volumeType": "gp3"}),
			ignore:    []string{"ami"},
			changed:   []resource.PropertyKey{"rootBlockDevice"},
			replace:   []resource.PropertyKey{"rootBlockDevice"},
		},
		{
			name:      "another fixed address replaces the instance",
			typ:       typeInstance,
			oldOutput: launched,
			news:      instance("privateIp", "10.42.0.11"),
			ignore:    []string{"ami"},
			changed:   []resource.PropertyKey{"privateIp"},
			replace:   []resource.PropertyKey{"privateIp"},
		},
		{
			name:      "a newly generated password replaces the secret version without ignoreChanges",
			typ:       typeSecretVersion,
			oldOutput: map[string]any{"secretId": "arn:s", "secretString": "old", "versionId": "v1", "versionStages": []any{"AWSCURRENT"}},
			news:      map[string]any{"secretId": "arn:s", "secretString": "new"},
			oldInputs: map[string]any{"secretId": "arn:s", "secretString": "old"},
			changed:   []resource.PropertyKey{"secretString"},
			replace:   []resource.PropertyKey{"secretString"},
		},
		{
			name:      "ignoreChanges on secretString keeps the stored password",
			typ:       typeSecretVersion,
			oldOutput: map[string]any{"secretId": "arn:s", "secretString": "old", "versionId": "v1", "versionStages": []any{"AWSCURRENT"}},
			news:      map[string]any{"secretId": "arn:s", "secretString": "new"},
			oldInputs: map[string]any{"secretId": "arn:s", "secretString": "old"},
			ignore:    []string{"secretString"},
		},
		{
			name: "a key's defaults the program leaves out are no change",
			typ:  typeKMSKey,
			oldOutput: map[string]any{"description": "d", "enableKeyRotation": true, "deletionWindowInDays": 7.0,
				"keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT", "isEnabled": true,
				"bypassPolicyLockoutSafetyCheck": false, "policy": "{}", "multiRegion": false},
			news: map[string]any{"description": "d", "enableKeyRotation": true, "deletionWindowInDays": 7.0},
		},
		{
			name:      "another DNS server replaces the DHCP options",
			typ:       typeDhcpOptions,
			oldOutput: map[string]any{"domainName": "corp.example.com", "domainNameServers": []any{"10.42.0.10", "AmazonProvidedDNS"}},
			news:      map[string]any{"domainName": "corp.example.com", "domainNameServers": []any{"10.42.0.11", "AmazonProvidedDNS"}},
			changed:   []resource.PropertyKey{"domainNameServers"},
			replace:   []resource.PropertyKey{"domainNameServers"},
		},
		{
			name:      "another Active Directory rule updates the security group in place",
			typ:       typeSecurityGroup,
			oldOutput: map[string]any{"vpcId": "vpc-1", "description": "d", "ingress": []any{}, "revokeRulesOnDelete": false},
			news:      map[string]any{"vpcId": "vpc-1", "description": "d", "ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 53.0, "toPort": 53.0}}},
			changed:   []resource.PropertyKey{"ingress"},
		},
	})
}

// TestDomainControllerFakesRefuseWhatTheServicesRefuse checks the refusals
// of EC2, IAM, KMS, Secrets Manager and SSM the domain-controller program
// could run into, and that what is gone reads as not found.
func TestDomainControllerFakesRefuseWhatTheServicesRefuse(t *testing.T) {
	w := NewWorld()
	aws := configured(t, w, "aws")
	ctx := context.Background()
	id := func(r plugin.CreateResponse, err error) string {
		t.Helper()
		require.NoError(t, err)
		return string(r.ID)
	}

	vpc := id(create(t, aws, typeVpc, "vpc", map[string]any{"cidrBlock": "10.42.0.0/16"}))
	_, err := create(t, aws, typeSubnet, "outside", map[string]any{"vpcId": vpc, "cidrBlock": "10.43.0.0/24"})
	assert.ErrorContains(t, err, "InvalidSubnet.Range", "a subnet outside its VPC")
	_, err = create(t, aws, typeSubnet, "no-vpc", map[string]any{"vpcId": "vpc-0000000000000000a", "cidrBlock": "10.42.0.0/24"})
	assert.ErrorContains(t, err, "InvalidVpcID.NotFound", "a subnet of a VPC that does not exist")
	subnet := id(create(t, aws, typeSubnet, "subnet", map[string]any{"vpcId": vpc, "cidrBlock": "10.42.0.0/24"}))
	_, err = create(t, aws, typeSubnet, "overlap", map[string]any{"vpcId": vpc, "cidrBlock": "10.42.0.128/25"})
	assert.ErrorContains(t, err, "InvalidSubnet.Conflict", "a subnet overlapping another")
	_, err = create(t, aws, typeRouteTable, "routes", map[string]any{"vpcId": vpc,
		"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0000000000000000a"}}})
	assert.ErrorContains(t, err, "InvalidGatewayID.NotFound", "a route to a gateway that does not exist")
	_, err = create(t, aws, typeSecurityGroup, "twice", map[string]any{"vpcId": vpc, "description": "d", "ingress": []any{
		map[string]any{"protocol": "tcp", "fromPort": 53.0, "toPort": 53.0, "cidrBlocks": []any{"10.42.0.0/16", "10.42.0.0/16"}}}})
	assert.ErrorContains(t, err, "InvalidPermission.Duplicate", "a rule naming one range twice")
	otherVPC := id(create(t, aws, typeVpc, "other", map[string]any{"cidrBlock": "10.60.0.0/16"}))
	foreignSG := id(create(t, aws, typeSecurityGroup, "foreign", map[string]any{"vpcId": otherVPC, "description": "d"}))
	sg := id(create(t, aws, typeSecurityGroup, "sg", map[string]any{"vpcId": vpc, "description": "d"}))

	_, err = create(t, aws, typeInstanceProfile, "orphan", map[string]any{"role": "missing-role"})
	assert.ErrorContains(t, err, "NoSuchEntity", "an instance profile naming a role that does not exist")
	role := id(create(t, aws, typeIAMRole, "role", map[string]any{"assumeRolePolicy": "{}"}))
	profile, err := create(t, aws, typeInstanceProfile, "profile", map[string]any{"role": role})
	require.NoError(t, err)
	profileName := profile.Properties["name"].StringValue()

	launch := func(name string, kv ...any) (plugin.CreateResponse, error) {
		in := map[string]any{"ami": "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
			"instanceType": "t3.large", "subnetId": subnet, "vpcSecurityGroupIds": []any{sg}, "iamInstanceProfile": profileName}
		for i := 0; i+1 < len(kv); i += 2 {
			in[kv[i].(string)] = kv[i+1]
		}
		return create(t, aws, typeInstance, name, in)
	}
	_, err = launch("no-profile", "iamInstanceProfile", "missing-profile")
	assert.ErrorContains(t, err, "Invalid IAM Instance Profile name", "an instance with an instance profile that does not exist")
	_, err = launch("foreign-sg", "vpcSecurityGroupIds", []any{foreignSG})
	assert.ErrorContains(t, err, "belong to different networks", "an instance with another VPC's security group")
	_, err = launch("outside", "privateIp", "10.42.1.10")
	assert.ErrorContains(t, err, "does not fall within the subnet's address range", "a fixed address outside the subnet")
	_, err = launch("reserved", "privateIp", "10.42.0.2")
	assert.ErrorContains(t, err, "does not fall within the subnet's address range", "a fixed address AWS reserves")
	_, err = launch("no-image", "ami", "resolve:ssm:/aws/service/ami-windows-latest/none")
	assert.ErrorContains(t, err, "ParameterNotFound", "an image parameter that does not exist")
	dc, err := launch("dc", "privateIp", "10.42.0.10")
	require.NoError(t, err)
	assert.Equal(t, "ami-0b2d1c2e3f4a5b601", dc.Properties["ami"].StringValue(), "the image EC2 resolved")
	_, err = launch("dc-replacement", "privateIp", "10.42.0.10")
	assert.ErrorContains(t, err, "InvalidIPAddress.InUse", "a replacement created before the old instance is gone cannot take its address")

	_, err = aws.Delete(ctx, plugin.DeleteRequest{URN: urn(typeIAMRole, "role"), ID: resource.ID(role)})
	assert.ErrorContains(t, err, "DeleteConflict", "a role an instance profile holds")
	_, err = aws.Delete(ctx, plugin.DeleteRequest{URN: urn(typeSubnet, "subnet"), ID: resource.ID(subnet)})
	assert.ErrorContains(t, err, "DependencyViolation", "a subnet with an instance")
	_, err = aws.Delete(ctx, plugin.DeleteRequest{URN: urn(typeVpc, "vpc"), ID: resource.ID(vpc)})
	assert.ErrorContains(t, err, "DependencyViolation", "a VPC with subnets")
	_, err = aws.Delete(ctx, plugin.DeleteRequest{URN: urn(typeInstance, "dc"), ID: dc.ID})
	require.NoError(t, err)
	read, err := aws.Read(ctx, plugin.ReadRequest{URN: urn(typeInstance, "dc"), ID: dc.ID})
	require.NoError(t, err)
	assert.Empty(t, read.Outputs, "a terminated instance reads as not found")

	_, err = create(t, aws, typeSecretVersion, "orphan", map[string]any{"secretId": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:missing-AbCdEf",
		"secretString": "x"})
	assert.ErrorContains(t, err, "ResourceNotFoundException", "a version of a secret that does not exist")
	_, err = create(t, aws, typeSecretPolicy, "orphan", map[string]any{"secretArn": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:missing-AbCdEf",
		"policy": `{"Version":"2012-10-17","Statement":[]}`})
	assert.ErrorContains(t, err, "ResourceNotFoundException", "a policy of a secret that does not exist")
	secret, err := create(t, aws, typeSecret, "secret", map[string]any{"namePrefix": "ssm-runas/admin-", "recoveryWindowInDays": 0.0})
	require.NoError(t, err)
	version, err := create(t, aws, typeSecretVersion, "version", map[string]any{"secretId": string(secret.ID), "secretString": "s3cret"})
	require.NoError(t, err)
	assert.True(t, version.Properties["secretString"].IsSecret(), "secret_string is Sensitive")
	assert.Equal(t, "s3cret", w.SecretValues()[secret.Properties["name"].StringValue()])
	_, err = create(t, aws, typeSecretPolicy, "public", map[string]any{"secretArn": string(secret.ID), "blockPublicPolicy": true,
		"policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`})
	assert.ErrorContains(t, err, "PublicPolicyException", "a public policy with the public-policy check on")

	_, err = create(t, aws, typeKMSKeyPolicy, "orphan", map[string]any{"keyId": "00000000-0000-4000-8000-000000000000", "policy": defaultKeyPolicy("111111111111")})
	assert.ErrorContains(t, err, "NotFoundException", "a policy of a key that does not exist")
	key, err := create(t, aws, typeKMSKey, "key", map[string]any{"description": "join"})
	require.NoError(t, err)
	_, err = create(t, aws, typeKMSKeyPolicy, "lockout", map[string]any{"keyId": key.Properties["keyId"].StringValue(),
		"policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`})
	assert.ErrorContains(t, err, "MalformedPolicyDocumentException", "a key policy that locks the account out")
	_, err = create(t, aws, typeKMSKeyPolicy, "policy", map[string]any{"keyId": key.Properties["keyId"].StringValue(),
		"policy": defaultKeyPolicy("111111111111")})
	assert.NoError(t, err, "the default key policy")

	_, err = create(t, aws, typeSSMParameter, "reserved", map[string]any{"name": "/aws/service/mine", "type": "String", "value": "v"})
	assert.ErrorContains(t, err, "can't be prefixed", "a parameter under /aws")
	param, err := create(t, aws, typeSSMParameter, "status", map[string]any{"name": "/runas/ssm-runas/dev/status", "type": "String", "value": "pending"})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:ssm:eu-west-1:111111111111:parameter/runas/ssm-runas/dev/status", param.Properties["arn"].StringValue())
	_, err = create(t, aws, typeSSMParameter, "status-2", map[string]any{"name": "/runas/ssm-runas/dev/status", "type": "String", "value": "pending"})
	assert.ErrorContains(t, err, "ParameterAlreadyExists")
	_, err = create(t, aws, typeSSMAssociation, "orphan", map[string]any{"name": "ssm-runas-demo-domain-join"})
	assert.ErrorContains(t, err, "InvalidDocument", "an association with a document that does not exist")
	_, err = create(t, aws, typeSSMDocument, "bad", map[string]any{"name": "ssm-runas-bad", "documentType": "Command", "content": "not json"})
	assert.ErrorContains(t, err, "InvalidDocumentContent")
	doc, err := create(t, aws, typeSSMDocument, "doc", map[string]any{"name": "ssm-runas-demo-domain-join", "documentType": "Command",
		"content": `{"schemaVersion":"2.2","mainSteps":[]}`})
	require.NoError(t, err)
	_, err = create(t, aws, typeSSMDocument, "doc-2", map[string]any{"name": "ssm-runas-demo-domain-join", "documentType": "Command",
		"content": `{"schemaVersion":"2.2","mainSteps":[]}`})
	assert.ErrorContains(t, err, "already exists", "a second document with the same name")
	_, err = create(t, aws, typeSSMAssociation, "assoc", map[string]any{"name": "ssm-runas-demo-domain-join"})
	require.NoError(t, err)
	_, err = aws.Delete(ctx, plugin.DeleteRequest{URN: urn(typeSSMDocument, "doc"), ID: doc.ID})
	assert.ErrorContains(t, err, "AssociatedInstances", "a document an association runs")
}

// TestChangedTagIsItsOwnDetailedDiff checks that a changed map entry is
// reported at its own path, as the bridge reports it, so that
// replaceOnChanges can name one tag.
func TestChangedTagIsItsOwnDetailedDiff(t *testing.T) {
	olds := withDefaults(typeInstance, props(map[string]any{"instanceType": "t3.large", "tags": map[string]any{"Name": "dc", "ssm-runas:engine": "windows"}}))
	got := diff(schemas[typeInstance], plugin.DiffRequest{URN: urn(typeInstance, "dc"), OldInputs: olds, OldOutputs: olds,
		NewInputs: props(map[string]any{"instanceType": "t3.large", "tags": map[string]any{"Name": "dc", "ssm-runas:engine": "samba"}})})
	assert.Equal(t, []resource.PropertyKey{"tags"}, got.ChangedKeys)
	assert.Contains(t, got.DetailedDiff, `tags["ssm-runas:engine"]`)
	assert.NotContains(t, got.DetailedDiff, "tags.Name")
}

// TestRootVolumeOnlyGrows checks EC2's refusal to shrink a volume in place
// (a smaller root volume in the program reaches it as an update, since
// volume_size is not ForceNew).
func TestRootVolumeOnlyGrows(t *testing.T) {
	w := NewWorld()
	aws := configured(t, w, "aws")
	vpc, err := create(t, aws, typeVpc, "vpc", map[string]any{"cidrBlock": "10.42.0.0/16"})
	require.NoError(t, err)
	subnet, err := create(t, aws, typeSubnet, "subnet", map[string]any{"vpcId": string(vpc.ID), "cidrBlock": "10.42.0.0/24"})
	require.NoError(t, err)
	in := props(map[string]any{"ami": "ami-0b2d1c2e3f4a5b601", "instanceType": "t3.large", "subnetId": string(subnet.ID),
		"rootBlockDevice": map[string]any{"encrypted": true, "volumeSize": 50.0}})
	dc, err := aws.Create(context.Background(), plugin.CreateRequest{URN: urn(typeInstance, "dc"), Properties: in})
	require.NoError(t, err)
	smaller := in.Copy()
	smaller["rootBlockDevice"] = resource.NewPropertyValue(map[string]any{"encrypted": true, "volumeSize": 16.0})
	_, err = aws.Update(context.Background(), plugin.UpdateRequest{URN: urn(typeInstance, "dc"), ID: dc.ID,
		OldInputs: in, OldOutputs: dc.Properties, NewInputs: smaller})
	assert.ErrorContains(t, err, "New size cannot be smaller than existing size")
	bigger := in.Copy()
	bigger["rootBlockDevice"] = resource.NewPropertyValue(map[string]any{"encrypted": true, "volumeSize": 80.0})
	_, err = aws.Update(context.Background(), plugin.UpdateRequest{URN: urn(typeInstance, "dc"), ID: dc.ID,
		OldInputs: in, OldOutputs: dc.Properties, NewInputs: bigger})
	assert.NoError(t, err)
}

// TestGatewayStaysWhileInstancesHavePublicAddresses checks
// DetachInternetGateway's refusal: moving the gateway to another VPC, or
// deleting it, while an instance of its VPC has a public address.
func TestGatewayStaysWhileInstancesHavePublicAddresses(t *testing.T) {
	w := NewWorld()
	aws := configured(t, w, "aws")
	ctx := context.Background()
	vpc, err := create(t, aws, typeVpc, "vpc", map[string]any{"cidrBlock": "10.42.0.0/16"})
	require.NoError(t, err)
	other, err := create(t, aws, typeVpc, "other", map[string]any{"cidrBlock": "10.43.0.0/16"})
	require.NoError(t, err)
	subnet, err := create(t, aws, typeSubnet, "subnet", map[string]any{"vpcId": string(vpc.ID), "cidrBlock": "10.42.0.0/24", "mapPublicIpOnLaunch": true})
	require.NoError(t, err)
	igwIn := props(map[string]any{"vpcId": string(vpc.ID)})
	igw, err := aws.Create(ctx, plugin.CreateRequest{URN: urn(typeInternetGateway, "igw"), Properties: igwIn})
	require.NoError(t, err)
	_, err = create(t, aws, typeInstance, "dc", map[string]any{"ami": "ami-0b2d1c2e3f4a5b601", "instanceType": "t3.large", "subnetId": string(subnet.ID)})
	require.NoError(t, err)

	_, err = aws.Update(ctx, plugin.UpdateRequest{URN: urn(typeInternetGateway, "igw"), ID: igw.ID, OldInputs: igwIn, OldOutputs: igw.Properties,
		NewInputs: props(map[string]any{"vpcId": string(other.ID)})})
	assert.ErrorContains(t, err, "has some mapped public address(es)", "moving the gateway to another VPC")
	_, err = aws.Delete(ctx, plugin.DeleteRequest{URN: urn(typeInternetGateway, "igw"), ID: igw.ID})
	assert.ErrorContains(t, err, "has some mapped public address(es)", "deleting the gateway")
}
