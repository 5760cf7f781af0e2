package member_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func load(t *testing.T, model string) *settings.Config {
	t.Helper()
	c, err := settings.Load("../../../../examples/" + model + "/runas.yaml")
	require.NoError(t, err)
	return c
}

// TestArgsListsEachModelsSections: every example's member template has the
// sections its model deploys, and only the domain-controller model's
// template takes parameters beyond the writer's artifact.
func TestArgsListsEachModelsSections(t *testing.T) {
	tests := []struct {
		model      string
		join       bool
		deployTime bool
		roles      bool
	}{
		{"per-role", false, false, true},
		{"per-user", true, false, false},
		{"domain-controller", true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			c := load(t, tc.model)
			args, err := member.Args(c)
			require.NoError(t, err)
			var join *hostjoin.Section
			for _, s := range args.Sections {
				if j, ok := s.(*hostjoin.Section); ok {
					join = j
				}
			}
			assert.Equal(t, tc.join, join != nil, "domain join section")
			if join != nil {
				assert.Equal(t, tc.deployTime, join.DeployTimeValues, "join values known only at deploy time")
			}

			tpl, err := member.Template(c)
			require.NoError(t, err)
			assert.Equal(t, tc.roles, tpl.Resources[cfn.LogicalHostAccountsDocument].Type != "", "role accounts")
			var params []string
			for name := range tpl.Parameters {
				params = append(params, name)
			}
			want := []string{cfn.ParamArtifactBucketPrefix, cfn.ParamArtifactKey}
			if tc.deployTime {
				want = append(want, hostjoin.ParamJoinSecretARN, hostjoin.ParamDNSServers)
			}
			assert.ElementsMatch(t, want, params)
		})
	}
}

// ExampleTemplate prints the parameters of the domain-controller example's
// member template: the writer's artifact, and the join secret and DNS
// servers of the domain controller the same deployment builds.
func ExampleTemplate() {
	c, err := settings.Load("../../../../examples/domain-controller/runas.yaml")
	if err != nil {
		panic(err)
	}
	tpl, err := member.Template(c)
	if err != nil {
		panic(err)
	}
	for _, name := range []string{cfn.ParamArtifactBucketPrefix, cfn.ParamArtifactKey, hostjoin.ParamJoinSecretARN, hostjoin.ParamDNSServers} {
		_, ok := tpl.Parameters[name]
		fmt.Println(name, ok)
	}
	// Output:
	// ArtifactBucketPrefix true
	// ArtifactKey true
	// DomainJoinSecretArn true
	// DomainDnsServers true
}

// TestTemplateFitsCloudFormation: every example's member template is
// within what CloudFormation takes as a template body, and a
// configuration whose template would not be is refused with the reason
// (CloudFormation would refuse it only during pulumi up).
func TestTemplateFitsCloudFormation(t *testing.T) {
	for _, model := range []string{"per-role", "per-user", "domain-controller"} {
		tpl, err := member.Template(load(t, model))
		require.NoError(t, err, model)
		assert.LessOrEqual(t, len(tpl.JSON()), member.MaxTemplateBodyBytes, model)
	}

	c := load(t, "per-user")
	for i := range 80 {
		c.PerUser.Sudo = append(c.PerUser.Sudo, settings.GroupSudo{
			Group: fmt.Sprintf("Service-Operators-%03d", i),
			Rule:  settings.Sudo{Commands: []string{fmt.Sprintf("/usr/bin/systemctl restart service-%03d", i)}, RunAs: settings.DefaultSudoRunAs, NoPassword: true},
		})
	}
	_, err := member.Template(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than the 51200 CloudFormation takes as a template body")
}
