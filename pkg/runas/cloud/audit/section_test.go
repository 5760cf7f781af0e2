package audit

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// emptyStore answers like an identity store SCIM has provisioned nothing
// into: GetGroupId is ResourceNotFoundException, and there are no users.
// The ABAC configuration maps SSMSessionRunAs from source. These calls are
// stand-ins because the test checks which checks the report's Identity
// Center section runs, not the checks themselves (they run on moto_server).
type emptyStore struct{ source string }

func (emptyStore) GetGroupId(context.Context, *identitystore.GetGroupIdInput, ...func(*identitystore.Options)) (*identitystore.GetGroupIdOutput, error) {
	return nil, &idstypes.ResourceNotFoundException{Message: aws.String("GROUP not found")}
}

func (emptyStore) ListUsers(context.Context, *identitystore.ListUsersInput, ...func(*identitystore.Options)) (*identitystore.ListUsersOutput, error) {
	return &identitystore.ListUsersOutput{}, nil
}

func (emptyStore) ListGroupMemberships(context.Context, *identitystore.ListGroupMembershipsInput, ...func(*identitystore.Options)) (*identitystore.ListGroupMembershipsOutput, error) {
	return &identitystore.ListGroupMembershipsOutput{}, nil
}

func (s emptyStore) DescribeInstanceAccessControlAttributeConfiguration(context.Context, *ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeInstanceAccessControlAttributeConfigurationOutput, error) {
	return &ssoadmin.DescribeInstanceAccessControlAttributeConfigurationOutput{
		Status: ssotypes.InstanceAccessControlAttributeConfigurationStatusEnabled,
		InstanceAccessControlAttributeConfiguration: &ssotypes.InstanceAccessControlAttributeConfiguration{
			AccessControlAttributes: []ssotypes.AccessControlAttribute{{Key: aws.String(settings.RunAsTagKey),
				Value: &ssotypes.AccessControlAttributeValue{Source: []string{s.source}}}},
		},
	}, nil
}

// TestIdentityCenterSectionChecksPerUserValues: a per-user configuration
// has no roles, and its people's values are still checked in the report.
func TestIdentityCenterSectionChecksPerUserValues(t *testing.T) {
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	require.Empty(t, c.Roles)
	store := emptyStore{source: c.IdentityCenter.RunAsSource}
	sec := identityCenterSection(context.Background(), c, Sources{ABAC: store, IdentityStore: store})
	var got []string
	for _, f := range sec.Findings {
		got = append(got, f.Check+" "+f.Subject)
	}
	var want []string
	for _, a := range c.PerUser.PermissionSets {
		want = append(want, CheckGroupMissing+" "+a.EntraGroup)
	}
	require.NotEmpty(t, want)
	assert.ElementsMatch(t, want, got)
}
