package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const exampleDomainController = "../../examples/domain-controller/runas.yaml"

// Names of the domain-controller program's resources (URN names).
const (
	dcInstance   = "domain-controller"
	demoInstance = "demo-host"
)

// deployedDomainController returns a stack of the domain-controller example
// deployed once into an organization whose identity store SCIM has
// provisioned with the example's groups.
func deployedDomainController(t *testing.T) *Stack {
	t.Helper()
	w := NewWorld()
	s := NewStack(t, w, exampleDomainController)
	w.ProvisionGroups(entraGroupsIn(s.Settings)...)
	up := s.Up()
	require.NoError(t, up.Err, "first deployment: %s", strings.Join(up.Messages, "\n"))
	require.Contains(t, w.Instances(), dcInstance, "first deployment: the domain controller")
	return s
}

// directoryPasswords returns the administrator and join passwords as
// Secrets Manager holds them.
func directoryPasswords(t *testing.T, w *World) (admin, join string) {
	t.Helper()
	for name, value := range w.SecretValues() {
		switch {
		case strings.HasPrefix(name, "ssm-runas/domain-controller-admin-"):
			admin = value
		case strings.HasPrefix(name, "ssm-runas/domain-controller-join-"):
			// The join secret is JSON: the account's name and its password
			// (dcbootstrap.JoinSecretUsernameKey and JoinSecretPasswordKey;
			// this module does not import the main module's packages).
			var v map[string]string
			require.NoError(t, json.Unmarshal([]byte(value), &v), "the join secret is JSON")
			for k, p := range v {
				if strings.HasSuffix(k, "Password") {
					join = p
				}
			}
		}
	}
	require.Len(t, admin, 32, "the administrator password in Secrets Manager")
	require.Len(t, join, 32, "the join password in Secrets Manager")
	return admin, join
}

// TestDomainControllerDeploysAndStaysQuiet runs the domain-controller
// example on a fresh organization: preview and update succeed and build
// the whole self-contained domain, and the next preview and update change
// nothing (the passwords the program generates anew on every run leave the
// stored ones alone).
func TestDomainControllerDeploysAndStaysQuiet(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	s := NewStack(t, w, exampleDomainController)
	w.ProvisionGroups(entraGroupsIn(s.Settings)...)

	preview := s.Preview()
	require.NoError(t, preview.Err, "preview on a fresh organization: %s", strings.Join(preview.Messages, "\n"))

	first := s.Up()
	require.NoError(t, first.Err, "first update: %s", strings.Join(first.Messages, "\n"))
	assert.Empty(t, stepStrings(first.Deletes()), "first deployment")
	for typ, n := range map[string]int{
		typeVpc: 1, typeSubnet: 1, typeInternetGateway: 1, typeRouteTable: 1, typeRouteTableAssociation: 1,
		typeSecurityGroup: 2, typeDhcpOptions: 1, typeDhcpOptionsAssoc: 1, typeInstance: 2, typeInstanceProfile: 2,
		typeSecret: 2, typeSecretVersion: 2, typeSecretPolicy: 1, typeKMSKey: 1, typeKMSKeyPolicy: 1,
		typeSSMParameter: 1, typeSSMDocument: 1, typeSSMAssociation: 1,
	} {
		assert.Len(t, w.Resources(typ), n, "%s after the first deployment", typ)
	}
	assert.NotEmpty(t, w.Resources(typeAccountAssignment), "the permission set is assigned to the provisioned group")

	dc := w.Instances()[dcInstance]
	assert.Equal(t, "ami-0b2d1c2e3f4a5b601", dc.AMI, "EC2 resolved the Windows Server 2022 parameter at launch")
	for _, arn := range w.SecretARNs() {
		assert.Contains(t, dc.UserData, arn, "the bootstrap reads each secret from Secrets Manager at run time")
	}
	for _, key := range []string{"domainControllerInstanceId", "dnsServers", "joinSecretArn", "adminSecretArn", "statusParameter", "nextSteps"} {
		assert.Contains(t, first.Outputs, resource.PropertyKey(key), "stack output %s", key)
	}
	assert.Equal(t, []string{"10.42.0.10"}, strs(first.Outputs["dnsServers"]), "the domain controller's fixed address is the domain's DNS server")

	again := s.Preview()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	assert.Empty(t, stepStrings(again.Changed()), "preview after a deployment with nothing changed")
	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Empty(t, stepStrings(up.Changed()), "update after a deployment with nothing changed")
	assert.Empty(t, up.Changes, "provider calls that change something")
}

// TestDirectoryPasswordsNeverInPlainText checks the administrator and
// join passwords, as Secrets Manager holds them, against everything the
// stack's state holds (every resource's inputs and outputs, the stack
// outputs): they appear only as secrets. Neither is in any instance's user
// data, even as a secret, and a later run keeps them.
func TestDirectoryPasswordsNeverInPlainText(t *testing.T) {
	t.Parallel()
	s := deployedDomainController(t)
	admin, join := directoryPasswords(t, s.World)

	plainIn := func(m resource.PropertyMap) []string { return plainStrings(resource.NewObjectProperty(m)) }
	require.NotNil(t, s.snap)
	var inState []string
	for _, r := range s.snap.Resources {
		inState = append(inState, outputStrings(r.Inputs)...)
	}
	assert.Contains(t, strings.Join(inState, "\n"), admin, "the state keeps the administrator password, as a secret")
	assert.Contains(t, strings.Join(inState, "\n"), join, "the state keeps the join password, as a secret")
	for _, r := range s.snap.Resources {
		for what, m := range map[string]resource.PropertyMap{"inputs": r.Inputs, "outputs": r.Outputs} {
			for _, v := range plainIn(m) {
				assert.NotContains(t, v, admin, "the administrator password in plain text in the %s of %s", what, r.URN)
				assert.NotContains(t, v, join, "the join password in plain text in the %s of %s", what, r.URN)
			}
		}
	}
	for name, inst := range s.World.Instances() {
		assert.NotContains(t, inst.UserData, admin, "the administrator password in the user data of %s", name)
		assert.NotContains(t, inst.UserData, join, "the join password in the user data of %s", name)
	}

	again := s.Up()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	admin2, join2 := directoryPasswords(t, s.World)
	assert.Equal(t, admin, admin2, "a later run keeps the administrator password (the domain's key)")
	assert.Equal(t, join, join2, "a later run keeps the join password")
}

// plainStrings returns every string in v that is not inside a secret.
func plainStrings(v resource.PropertyValue) []string {
	switch {
	case v.IsSecret():
		return nil
	case v.IsOutput():
		if v.OutputValue().Secret {
			return nil
		}
		return plainStrings(v.OutputValue().Element)
	case v.IsString():
		return []string{v.StringValue()}
	case v.IsArray():
		var out []string
		for _, e := range v.ArrayValue() {
			out = append(out, plainStrings(e)...)
		}
		return out
	case v.IsObject():
		var out []string
		for _, e := range v.ObjectValue() {
			out = append(out, plainStrings(e)...)
		}
		return out
	}
	return nil
}

// TestSeedChangeUpdatesTheDomainControllerInPlace adds a person to
// domainController.seed, for both engines: the domain controller's user data changes, which
// EC2 applies by stopping and starting the instance; nothing is replaced
// or deleted, in particular not the domain controller, its secrets or
// their values.
func TestSeedChangeUpdatesTheDomainControllerInPlace(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"windows", "samba"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			seedChangeUpdatesInPlace(t, engine)
		})
	}
}

func seedChangeUpdatesInPlace(t *testing.T, engine string) {
	w := NewWorld()
	s := NewStack(t, w, exampleDomainController)
	w.ProvisionGroups(entraGroupsIn(s.Settings)...)
	s.Settings["domainController"].(map[string]any)["engine"] = engine
	first := s.Up()
	require.NoError(t, first.Err, "first deployment: %s", strings.Join(first.Messages, "\n"))
	before := s.World.Instances()
	image := map[string]string{"windows": "ami-0b2d1c2e3f4a5b601", "samba": "ami-0c3d4e5f6a7b80803"}[engine]
	assert.Equal(t, image, before[dcInstance].AMI, "the %s domain controller's image (Windows Server 2022 or Debian 12)", engine)
	secrets := s.World.SecretARNs()
	admin, join := directoryPasswords(t, s.World)
	require.NotContains(t, before[dcInstance].UserData, "erin", "the seed before the change")

	dc := s.Settings["domainController"].(map[string]any)
	seed := dc["seed"].(map[string]any)
	seed["users"] = append(seed["users"].([]any), map[string]any{
		"name": "erin", "givenName": "Erin", "surname": "Black", "ou": "OU=People", "uid": 10005, "gid": 10000,
	})

	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Empty(t, stepStrings(up.Deletes()), "steps that delete or replace")
	assert.Empty(t, deletions(up.Changes), "provider deletions")
	var dcStep *Step
	for i, st := range up.Steps {
		if st.Type == typeInstance && st.URN.Name() == dcInstance {
			dcStep = &up.Steps[i]
		}
	}
	require.NotNil(t, dcStep, "a step for the domain controller")
	assert.Equal(t, deploy.OpUpdate, dcStep.Op, "the domain controller is updated in place: %s", dcStep)
	assert.Contains(t, dcStep.Diffs, resource.PropertyKey("userData"), "what changes is its user data")

	after := s.World.Instances()
	assert.Equal(t, before[dcInstance].ID, after[dcInstance].ID, "the same domain controller")
	assert.Contains(t, after[dcInstance].UserData, "erin", "its user data seeds the new person")
	assert.Equal(t, before[demoInstance].ID, after[demoInstance].ID, "the same demo host")
	assert.Equal(t, secrets, s.World.SecretARNs(), "the same secrets")
	admin2, join2 := directoryPasswords(t, s.World)
	assert.Equal(t, admin, admin2, "the administrator password")
	assert.Equal(t, join, join2, "the join password")
}

// TestNewerAMIDoesNotReplaceTheDomainController publishes newer images in
// the public SSM parameters the instances launch from: the next preview
// and update change nothing, and the running domain controller and demo
// host keep the images they were launched with.
func TestNewerAMIDoesNotReplaceTheDomainController(t *testing.T) {
	t.Parallel()
	s := deployedDomainController(t)
	before := s.World.Instances()
	s.World.SetPublicParameter("/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base", "ami-0f0e0d0c0b0a09081")
	s.World.SetPublicParameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "ami-0f0e0d0c0b0a09082")

	preview := s.Preview()
	require.NoError(t, preview.Err, strings.Join(preview.Messages, "\n"))
	assert.Empty(t, stepStrings(preview.Changed()), "preview after a newer AMI is published")
	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Empty(t, stepStrings(up.Changed()), "update after a newer AMI is published")
	assert.Equal(t, before, s.World.Instances(), "the instances and their images")
}

// TestDomainControllerInAnExistingVPC deploys the domain controller into
// the network team's VPC and subnet (network.vpcId, subnetIds), with the
// VPC's own range listed again among the client networks: the stack reads
// the VPC, creates no network of its own, opens each range once (EC2
// refuses a rule naming one twice), names the address EC2 gave the domain
// controller as the DNS server, and its next run is quiet.
func TestDomainControllerInAnExistingVPC(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	vpcID, subnetID := w.SeedNetwork("eu-west-1", "10.60.0.0/16", "10.60.1.0/24")
	s := NewStack(t, w, exampleDomainController)
	w.ProvisionGroups(entraGroupsIn(s.Settings)...)
	dc := s.Settings["domainController"].(map[string]any)
	dc["network"] = map[string]any{"vpcId": vpcID, "subnetIds": []any{subnetID}, "clientCidrs": []any{"10.60.0.0/16", "10.70.0.0/16"}}

	up := s.Up()
	require.NoError(t, up.Err, "first update into an existing VPC: %s", strings.Join(up.Messages, "\n"))
	assert.Len(t, w.Resources(typeVpc), 1, "only the existing VPC")
	assert.Len(t, w.Resources(typeSubnet), 1, "only the existing subnet")
	for _, typ := range []string{typeInternetGateway, typeRouteTable, typeDhcpOptions, typeDhcpOptionsAssoc} {
		assert.Empty(t, w.Resources(typ), "%s in an existing VPC", typ)
	}
	ip := strs(up.Outputs["dnsServers"])
	require.Len(t, ip, 1, "the domain's DNS server")
	assert.True(t, strings.HasPrefix(ip[0], "10.60.1."), "the domain controller's address in the existing subnet: %s", ip[0])
	assert.Equal(t, vpcID, str(up.Outputs, "vpcId"))
	assert.Contains(t, strings.Join(outputStrings(up.Outputs), "\n"), "forward it to "+ip[0],
		"nextSteps say the existing VPC's DNS is left to its owner")

	again := s.Up()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	assert.Empty(t, stepStrings(again.Changed()), "the next run")
}

// TestEngineSwitchReplacesTheDomainController: the AMI is ignored (a
// newer image must not rebuild the domain), so the engine tag is what
// replaces the instance when domainController.engine changes. The old
// instance goes first: the new one takes its fixed address. Without the
// replacement, the update would shrink the Windows root volume, which EC2
// refuses, or keep a Debian system running PowerShell user data.
func TestEngineSwitchReplacesTheDomainController(t *testing.T) {
	t.Parallel()
	s := deployedDomainController(t)
	before := s.World.Instances()[dcInstance]

	s.Settings["domainController"].(map[string]any)["engine"] = "samba"
	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	after := s.World.Instances()[dcInstance]
	assert.NotEqual(t, before.ID, after.ID, "a new instance")
	assert.NotEqual(t, before.AMI, after.AMI, "launched from the Debian image")
	assert.True(t, strings.HasPrefix(after.UserData, "#!"), "the Samba bootstrap, not PowerShell")
	steps := strings.Join(stepStrings(up.Changed()), "\n")
	deleted := strings.Index(steps, "delete-replaced aws:ec2/instance:Instance "+dcInstance)
	created := strings.Index(steps, "create-replacement aws:ec2/instance:Instance "+dcInstance)
	require.True(t, deleted >= 0 && created >= 0, "the instance is replaced:\n%s", steps)
	assert.Less(t, deleted, created, "the old instance is deleted before its replacement takes the address:\n%s", steps)

	again := s.Up()
	require.NoError(t, again.Err)
	assert.Empty(t, stepStrings(again.Changed()), "the next run is quiet")
}

// TestNetworkRangeChange: a new VPC range replaces the network and the
// domain controller in an order EC2 accepts: a new internet gateway in
// the new VPC (moving the old one would fail while the old instance has a
// public address), the old one deleted once the old instance is gone.
func TestNetworkRangeChange(t *testing.T) {
	t.Parallel()
	s := deployedDomainController(t)
	before := s.World.Instances()[dcInstance]
	s.Settings["domainController"].(map[string]any)["network"] = map[string]any{"cidr": "10.43.0.0/16"}
	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Len(t, s.World.Resources(typeVpc), 1, "the old VPC is gone")
	assert.NotEqual(t, before.ID, s.World.Instances()[dcInstance].ID, "the domain controller moved to the new subnet")

	again := s.Up()
	require.NoError(t, again.Err)
	assert.Empty(t, stepStrings(again.Changed()), "the next run is quiet")
}
