package deploy_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

func TestParseLayers(t *testing.T) {
	for in, want := range map[string]deploy.Layers{"": {}, "all": {}, "entra": {EntraOnly: true}, "aws": {AWSOnly: true}} {
		got, err := deploy.ParseLayers(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := deploy.ParseLayers("identity")
	assert.EqualError(t, err, `ssm-runas:layers "identity": must be all, entra or aws`)
	assert.True(t, deploy.Layers{}.AWS() && deploy.Layers{}.Entra())
	assert.False(t, deploy.Layers{EntraOnly: true}.AWS())
	assert.False(t, deploy.Layers{AWSOnly: true}.Entra())
}

func TestLookupGroups(t *testing.T) {
	var got deploy.GroupIDs
	_, err := pulumimock.RunWith(&pulumimock.Recorder{IdentityStoreGroups: []string{"SG-Dev", "Unrelated"}}, func(ctx *pulumi.Context) error {
		var err error
		got, err = deploy.LookupGroups(ctx, "d-9067a1b2c3", []string{"SG-Admin", "SG-Dev", "SG-Admin"})
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"SG-Dev": "group-SG-Dev"}, got.ByName)
	assert.Equal(t, []string{"SG-Admin"}, got.Missing, "a group SCIM has not provisioned is missing, not an error")
}

func TestExpandAccounts(t *testing.T) {
	tests := []struct {
		name     string
		accounts []pulumimock.Account
		want     []string
		err      string
	}{
		{"status only (pulumi-aws v6)", []pulumimock.Account{{ID: "111111111111", Status: "ACTIVE"}, {ID: "222222222222", Status: "SUSPENDED"}}, []string{"111111111111", "333333333333"}, ""},
		{"state wins over status", []pulumimock.Account{{ID: "111111111111", Status: "ACTIVE", State: "SUSPENDED"}, {ID: "222222222222", State: "ACTIVE"}}, []string{"222222222222", "333333333333"}, ""},
		{"status retired and state absent", []pulumimock.Account{{ID: "111111111111"}}, nil, "account 111111111111 reports neither state nor status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			rec := &pulumimock.Recorder{OUAccounts: map[string][]pulumimock.Account{"ou-a1b2-workloads1": tc.accounts}}
			_, err := pulumimock.RunWith(rec, func(ctx *pulumi.Context) error {
				var err error
				got, err = deploy.ExpandAccounts(ctx, []string{"333333333333", "ou-a1b2-workloads1", "333333333333"})
				return err
			})
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDeploymentOrder(t *testing.T) {
	steps := deploy.DeploymentOrder(settings.ModelPerRole)
	var runs int
	for _, s := range steps {
		assert.Contains(t, []string{deploy.ByPerson, deploy.ByPulumi, deploy.ByRunas, deploy.ByWait}, s.By)
		if s.By == deploy.ByPulumi {
			runs++
		}
	}
	assert.Equal(t, 3, runs, "a new organization runs pulumi up three times")
}

func TestDeploymentOrderPerUser(t *testing.T) {
	text := func(model settings.Model) string {
		var b strings.Builder
		for _, s := range deploy.DeploymentOrder(model) {
			b.WriteString(s.What + "\n")
		}
		return b.String()
	}
	perRole, perUser := text(settings.ModelPerRole), text(settings.ModelPerUser)
	assert.Contains(t, perRole, "sync-attributes")
	assert.NotContains(t, perUser, "sync-attributes", "per-user values come from each person's own profile")
	assert.Contains(t, perUser, "perUser.joinOu")
	assert.Contains(t, perUser, "ssm-runas-domain-join-<region>")
	dc := text(settings.ModelDomainController)
	assert.Contains(t, dc, "statusParameter", "the domain controller model waits for its own boots")
	assert.Contains(t, dc, "the per-user deployment on that domain", "the model composes the per-user deployment")
	assert.Contains(t, dc, "the lower-casing expression of perUser.userSource", "people's values come from their own profile, as per-user")
	assert.Contains(t, dc, "domainController.network.clientCidrs")
	assert.NotContains(t, dc, "perUser.domain.joinSecretArn", "the stack makes the join secret")
}
