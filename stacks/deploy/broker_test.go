package deploy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

func TestBrokerClientSetupNamesWhatConnectReads(t *testing.T) {
	step := deploy.BrokerClientSetup("https://abc.lambda-url.eu-west-1.on.aws/")
	assert.Contains(t, step, "SSM_RUNAS_BROKER_URL=https://abc.lambda-url.eu-west-1.on.aws/")
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
	assert.Contains(t, with[len(with)-2].What, "SSM_RUNAS_BROKER_URL=<brokerUrl>")
	assert.Contains(t, with[len(with)-2].What, "runas connect")

	c.Broker = nil
	assert.Equal(t, without, deploy.DeploymentOrderFor(c), "without a broker section the order is the model's")
}
