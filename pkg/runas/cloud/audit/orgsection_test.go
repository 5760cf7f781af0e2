package audit

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// TestOrganizationSectionReadsTheDomainControllerOfTheNamedStack: the
// run's PulumiStack option reaches the domain controller check, whose
// findings join the organization section's.
func TestOrganizationSectionReadsTheDomainControllerOfTheNamedStack(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	c, err := settings.Load("../../../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	params := ssm.NewFromConfig(srv.Config(c.DomainController.Region))
	for stack, status := range map[string]string{"dev": dcbootstrap.StatusFailed, "prod": dcbootstrap.StatusComplete} {
		_, err := params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(DCStatusParameter(DefaultPulumiProject, stack)),
			Value: aws.String(status), Type: ssmtypes.ParameterTypeString})
		require.NoError(t, err)
	}
	src := Sources{
		Policies:   organizations.NewFromConfig(srv.Config(c.Organization.HomeRegion)),
		StackSets:  cloudformation.NewFromConfig(srv.Config(c.Organization.HomeRegion)),
		Parameters: params,
	}
	for stack, want := range map[string]bool{"dev": true, "prod": false} {
		sec := organizationSection(ctx, c, src, Options{PulumiStack: stack})
		var dc []string
		for _, f := range sec.Findings {
			if f.Check == CheckDCStatus || f.Check == CheckDCStatusMissing {
				dc = append(dc, f.Check+" "+f.Subject)
			}
		}
		if want {
			assert.Equal(t, []string{CheckDCStatus + " " + DCStatusParameter(DefaultPulumiProject, stack) + " (" + c.DomainController.Region + ")"}, dc, stack)
		} else {
			assert.Empty(t, dc, stack)
		}
	}
}
