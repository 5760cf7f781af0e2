package membersection_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy/membersection"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const examplePath = "../../../../../examples/per-role/runas.yaml"

const brokerSection = `
broker:
  permissionSets:
    - name: SSM-Admin
      linuxUser: admin
    - name: Data_Eng_Developer
      linuxUser: developer
`

func load(t *testing.T, extra string) *settings.Config {
	t.Helper()
	base, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	c, err := settings.Parse(append(base, []byte(extra)...))
	require.NoError(t, err)
	return c
}

func TestMemberTemplateCarriesTheSessionRole(t *testing.T) {
	tpl, err := member.Template(load(t, brokerSection))
	require.NoError(t, err)
	res, ok := tpl.Resources[membersection.LogicalSessionRole]
	require.True(t, ok, "the member template must carry the session role")
	data, err := json.MarshalIndent(res, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "session-role.json", data)
	testtools.CfnLint(t, tpl.JSON())
}

func TestNoBrokerNoRole(t *testing.T) {
	tpl, err := member.Template(load(t, ""))
	require.NoError(t, err)
	assert.NotContains(t, tpl.Resources, membersection.LogicalSessionRole)
	assert.NotContains(t, tpl.Outputs, membersection.OutputSessionRoleARN)
}

func TestAddToRefusesATakenID(t *testing.T) {
	s, err := membersection.For(load(t, brokerSection))
	require.NoError(t, err)
	tpl := cfn.Template{Resources: map[string]cfn.Resource{membersection.LogicalSessionRole: {Type: "AWS::IAM::Role"}}}
	assert.ErrorContains(t, s.AddTo(&tpl), "logical id BrokerSessionRole is already taken")
	assert.ErrorContains(t, (&membersection.SessionRole{}).AddTo(&cfn.Template{}), "needs a name")
}
