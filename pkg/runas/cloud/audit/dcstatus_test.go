package audit_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// TestDomainControllerStatusAgainstMoto writes the bootstrap's status
// parameter into moto's SSM as the bootstrap does (a String parameter,
// overwritten at each phase) and checks what the audit reports, with a
// stack name and by discovery under the project's prefix.
func TestDomainControllerStatusAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	c, err := settings.Load("../../../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	require.Equal(t, settings.ModelDomainController, c.Model)
	region := c.DomainController.Region
	api := ssm.NewFromConfig(srv.Config(region))
	put := func(name, value string) {
		t.Helper()
		_, err := api.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
		require.NoError(t, err)
	}
	assert.Equal(t, "/runas/ssm-runas/dev/domain-controller/status", audit.DCStatusParameter(audit.DefaultPulumiProject, "dev"))

	// No stack has recorded anything yet.
	got, err := audit.CheckDomainController(ctx, api, c, "", "dev")
	require.NoError(t, err)
	assert.Equal(t, []string{audit.CheckDCStatusMissing + " /runas/ssm-runas/dev/domain-controller/status (" + region + ")"}, subjects(got))
	got, err = audit.CheckDomainController(ctx, api, c, "", "")
	require.NoError(t, err)
	assert.Equal(t, []string{audit.CheckDCStatusMissing + " /runas/ssm-runas/*/domain-controller/status (" + region + ")"}, subjects(got))

	dev := audit.DCStatusParameter(audit.DefaultPulumiProject, "dev")
	for _, tc := range []struct {
		status string
		want   []string // Got must contain each; nil: no finding
	}{
		{dcbootstrap.StatusInstalling, []string{"installing since ", "still running", dcbootstrap.WindowsLogPath}},
		{dcbootstrap.StatusPromoting, []string{"promoting since "}},
		{dcbootstrap.StatusSeeding, []string{"seeding since "}},
		{dcbootstrap.StatusFailed, []string{"failed since ", "its log is " + dcbootstrap.WindowsLogPath, "aws ssm start-session --region " + region}},
		{"rebooting", []string{"not a status the bootstrap writes"}},
		{dcbootstrap.StatusComplete, nil},
	} {
		t.Run(tc.status, func(t *testing.T) {
			put(dev, tc.status)
			got, err := audit.CheckDomainController(ctx, api, c, "", "dev")
			require.NoError(t, err)
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, audit.CheckDCStatus, got[0].Check)
			assert.Equal(t, dev+" ("+region+")", got[0].Subject)
			assert.Equal(t, dcbootstrap.StatusComplete, got[0].Want)
			for _, w := range tc.want {
				assert.Contains(t, got[0].Got, w)
			}
		})
	}

	// Samba's bootstrap logs elsewhere.
	put(dev, dcbootstrap.StatusFailed)
	samba := *c.DomainController
	samba.Engine = settings.EngineSamba
	cs := *c
	cs.DomainController = &samba
	got, err = audit.CheckDomainController(ctx, api, &cs, "", "dev")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Contains(t, got[0].Got, dcbootstrap.SambaLogPath)

	// Discovery: every stack's status under the project, nothing else.
	put(dev, dcbootstrap.StatusComplete)
	put(audit.DCStatusParameter(audit.DefaultPulumiProject, "prod"), dcbootstrap.StatusSeeding)
	put("/runas/ssm-runas/dev/domain-controller/notes", "failed")
	put("/runas/other-project/qa/domain-controller/status", "failed")
	got, err = audit.CheckDomainController(ctx, api, c, "", "")
	require.NoError(t, err)
	assert.Equal(t, []string{audit.CheckDCStatus + " /runas/ssm-runas/prod/domain-controller/status (" + region + ")"}, subjects(got))
	got, err = audit.CheckDomainController(ctx, api, c, "other-project", "")
	require.NoError(t, err)
	assert.Equal(t, []string{audit.CheckDCStatus + " /runas/other-project/qa/domain-controller/status (" + region + ")"}, subjects(got))

	// Other models have no domain controller to check.
	pu, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	got, err = audit.CheckDomainController(ctx, api, pu, "", "dev")
	require.NoError(t, err)
	assert.Empty(t, got)
}
