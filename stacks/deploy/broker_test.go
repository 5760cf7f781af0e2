package deploy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

func TestBrokerClientSetupNamesWhatConnectReads(t *testing.T) {
	step := deploy.BrokerClientSetup("https://abc.lambda-url.eu-west-1.on.aws/")
	assert.Contains(t, step, broker.URLEnv+"=https://abc.lambda-url.eu-west-1.on.aws/", "the variable runas connect reads")
	assert.Contains(t, step, "runas connect --target")
	assert.Contains(t, step, "session-manager-plugin")
}

func TestBrokerUnmanagedPermissionSets(t *testing.T) {
	c, err := settings.Load("../../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	assert.Empty(t, deploy.BrokerUnmanagedPermissionSets(c), "the example's broker serves permission sets its roles create")

	c.Broker.PermissionSets = append(c.Broker.PermissionSets, settings.BrokerPermissionSet{Name: "Elsewhere", LinuxUser: "support"})
	assert.Equal(t, []string{"Elsewhere"}, deploy.BrokerUnmanagedPermissionSets(c))

	c.Broker = nil
	assert.Empty(t, deploy.BrokerUnmanagedPermissionSets(c))
}

func TestCallerPolicyOnlyForServedPermissionSets(t *testing.T) {
	c, err := settings.Load("../../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	for _, r := range c.Roles {
		doc, err := deploy.CallerPolicy(c, r)
		require.NoError(t, err)
		assert.Equal(t, c.BrokerServes(r.PermissionSet.Name), doc != nil, r.Name)
	}
}

func TestDeploymentOrderWithTheBroker(t *testing.T) {
	c, err := settings.Load("../../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	with := deploy.DeploymentOrderFor(c)
	without := deploy.DeploymentOrder(settings.ModelPerRole)
	require.Len(t, with, len(without)+2, "two steps more: explain through the broker, and the client setup")

	var first deploy.Step
	runs := 0
	for _, s := range with {
		if s.By == deploy.ByPulumi {
			runs++
			if runs == 1 {
				first = s
			}
		}
	}
	assert.Equal(t, 3, runs, "the broker needs no run of its own")
	assert.Contains(t, first.What, "session broker")
	assert.Contains(t, first.What, "before the StackSet")
	assert.Equal(t, deploy.Step{By: deploy.ByRunas, What: "runas audit --config <file>"}, with[len(with)-1])
	assert.Contains(t, with[len(with)-2].What, broker.URLEnv+"=<brokerUrl>", "the variable runas connect reads")
	assert.Contains(t, with[len(with)-2].What, "runas connect")

	c.Broker = nil
	assert.Equal(t, without, deploy.DeploymentOrderFor(c), "without a broker section the order is the model's")
}

// TestCallerPolicyLetsThePluginEncrypt: with sessionPreferences.kmsKeyId
// set, the agent asks the client for a KMS data key at the start of every
// session, and session-manager-plugin calls kms:GenerateDataKey with the
// person's own profile (aws/session-manager-plugin src/encryption), not
// with the broker's credentials. People the broker serves therefore keep
// the session policy's EncryptSessionData statement, or every encrypted
// session fails at its handshake.
func TestCallerPolicyLetsThePluginEncrypt(t *testing.T) {
	c, err := settings.Load("../../examples/per-permission-set/runas.yaml")
	require.NoError(t, err)
	require.NotNil(t, c.SessionPreferences.KMSKeyID, "the example encrypts sessions")
	for _, r := range c.Roles {
		if !c.BrokerServes(r.PermissionSet.Name) {
			continue
		}
		var want policy.Statement
		for _, st := range policy.PermissionSetSessionPolicy(c.PermissionSetPolicyArgs(r)).Statement {
			if st.Sid == policy.SidEncryptSessionData {
				want = st
			}
		}
		require.Equal(t, policy.SidEncryptSessionData, want.Sid, "the session policy encrypts")
		doc, err := deploy.CallerPolicy(c, r)
		require.NoError(t, err)
		require.NotNil(t, doc)
		var got []policy.Statement
		for _, st := range doc.Statement {
			if st.Sid == policy.SidEncryptSessionData {
				got = append(got, st)
			}
		}
		if assert.Len(t, got, 1, r.Name) {
			assert.JSONEq(t, string(policy.Document{Statement: []policy.Statement{want}}.JSON()), string(policy.Document{Statement: got}.JSON()), r.Name)
		}
	}

	c.SessionPreferences.KMSKeyID = nil
	for _, r := range c.Roles {
		doc, err := deploy.CallerPolicy(c, r)
		require.NoError(t, err)
		if doc != nil {
			assert.NotContains(t, string(doc.JSON()), "kms:", "%s: no key, no KMS permission", r.Name)
		}
	}
}
