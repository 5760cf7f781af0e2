package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// stateManager stands in for State Manager's association calls, which
// moto_server 5.2 does not implement at all (no CreateAssociation,
// ListAssociations or DescribeInstanceAssociationsStatus); it is the
// audit's own AssociationsAPI and answers with SSM's shapes: ListAssociations
// honours the AssociationName filter, and DescribeInstanceAssociationsStatus
// is InvalidInstanceId for an instance that is not a managed node.
type stateManager struct {
	// associations are name -> id.
	associations map[string]string
	// statuses are the managed nodes and their association statuses.
	statuses map[string][]ssmtypes.InstanceAssociationStatusInfo
	mu       sync.Mutex
	calls    int
}

func (s *stateManager) ListAssociations(_ context.Context, in *ssm.ListAssociationsInput, _ ...func(*ssm.Options)) (*ssm.ListAssociationsOutput, error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	out := &ssm.ListAssociationsOutput{}
	for name, id := range s.associations {
		keep := true
		for _, f := range in.AssociationFilterList {
			if f.Key == ssmtypes.AssociationFilterKeyAssociationName && aws.ToString(f.Value) != name {
				keep = false
			}
		}
		if keep {
			out.Associations = append(out.Associations, ssmtypes.Association{AssociationName: aws.String(name), AssociationId: aws.String(id), Name: aws.String(hostjoin.DocumentName)})
		}
	}
	return out, nil
}

func (s *stateManager) DescribeInstanceAssociationsStatus(_ context.Context, in *ssm.DescribeInstanceAssociationsStatusInput, _ ...func(*ssm.Options)) (*ssm.DescribeInstanceAssociationsStatusOutput, error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	st, ok := s.statuses[aws.ToString(in.InstanceId)]
	if !ok {
		return nil, &ssmtypes.InvalidInstanceId{Message: aws.String("Instances [[" + aws.ToString(in.InstanceId) + "]] not in a valid state for account 123456789012")}
	}
	return &ssm.DescribeInstanceAssociationsStatusOutput{InstanceAssociationStatusInfos: st}, nil
}

func status(id, instance, s string) ssmtypes.InstanceAssociationStatusInfo {
	when := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	return ssmtypes.InstanceAssociationStatusInfo{AssociationId: aws.String(id), AssociationName: aws.String(hostjoin.AssociationName),
		InstanceId: aws.String(instance), Name: aws.String(hostjoin.DocumentName), Status: aws.String(s), DetailedStatus: aws.String(s), ExecutionDate: &when}
}

// TestHostJoinAgainstMoto runs instances in moto's EC2, tagged for joining
// or not, running or stopped, and checks which the audit reports with the
// association statuses State Manager would give them.
func TestHostJoinAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	c, err := settings.Load("../../../../examples/per-user/runas.yaml")
	require.NoError(t, err)
	require.True(t, audit.JoinsHosts(c))
	h := c.PerUser.Hosts

	run := func(api *ec2.Client, tags map[string]string) string {
		t.Helper()
		images, err := api.DescribeImages(ctx, &ec2.DescribeImagesInput{})
		require.NoError(t, err)
		require.NotEmpty(t, images.Images, "moto's EC2 lists its stock images")
		in := &ec2.RunInstancesInput{ImageId: images.Images[0].ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeT3Micro}
		if len(tags) > 0 {
			spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
			for k, v := range tags {
				spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			in.TagSpecifications = []ec2types.TagSpecification{spec}
		}
		out, err := api.RunInstances(ctx, in)
		require.NoError(t, err)
		return aws.ToString(out.Instances[0].InstanceId)
	}
	joined := map[string]string{h.TargetTagKey: h.TargetTagValue}

	// eu-west-1: the association exists; hosts in every situation.
	west := ec2.NewFromConfig(srv.Config("eu-west-1"))
	ok := run(west, joined)
	failed := run(west, joined)
	otherOnly := run(west, joined)
	unmanaged := run(west, joined)
	stopped := run(west, joined)
	untagged := run(west, map[string]string{"Name": "web"})
	otherValue := run(west, map[string]string{h.TargetTagKey: "false"})
	_, err = west.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{stopped}})
	require.NoError(t, err)

	const id = "8dfe3659-4309-493a-8755-0123456789ab"
	bad := status(id, failed, "Failed")
	bad.ErrorCode = aws.String("1")
	bad.ExecutionSummary = aws.String("1 out of 1 plugin processed, 0 success, 1 failed")
	bad.OutputUrl = &ssmtypes.InstanceAssociationOutputUrl{S3OutputUrl: &ssmtypes.S3OutputUrl{OutputUrl: aws.String("https://s3.eu-west-1.amazonaws.com/corp-ssm-logs/join/" + failed)}}
	sm := &stateManager{
		associations: map[string]string{hostjoin.AssociationName: id, "patching": "11111111-2222-3333-4444-555555555555"},
		statuses: map[string][]ssmtypes.InstanceAssociationStatusInfo{
			ok:         {status(id, ok, "Success")},
			failed:     {bad},
			otherOnly:  {status("11111111-2222-3333-4444-555555555555", otherOnly, "Success")},
			stopped:    {status(id, stopped, "Failed")},
			untagged:   {status(id, untagged, "Failed")},
			otherValue: {status(id, otherValue, "Failed")},
		},
	}
	got, err := audit.CheckHostJoin(ctx, west, sm, c)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		audit.CheckJoinFailed + " " + failed,
		audit.CheckJoinNotApplied + " " + otherOnly,
		audit.CheckJoinNotApplied + " " + unmanaged,
	}, subjects(got), findings(got))
	for _, f := range got {
		if f.Check == audit.CheckJoinFailed {
			assert.Equal(t, "Success", f.Want)
			assert.Equal(t, "Failed; error 1; 1 out of 1 plugin processed, 0 success, 1 failed; at 2026-11-21T09:30:00Z; the script's output: https://s3.eu-west-1.amazonaws.com/corp-ssm-logs/join/"+failed, f.Got)
		}
	}

	// Without S3 output the finding says how to read the output.
	bad.OutputUrl = nil
	sm.statuses[failed] = []ssmtypes.InstanceAssociationStatusInfo{bad}
	got, err = audit.CheckHostJoin(ctx, west, sm, c)
	require.NoError(t, err)
	require.Contains(t, subjects(got), audit.CheckJoinFailed+" "+failed)
	for _, f := range got {
		if f.Check == audit.CheckJoinFailed {
			assert.Contains(t, f.Got, "aws ssm describe-association-executions --association-id "+id)
		}
	}

	// us-east-1: tagged hosts and no join association: they never join.
	east := ec2.NewFromConfig(srv.Config("us-east-1"))
	a, b := run(east, joined), run(east, joined)
	got, err = audit.CheckHostJoin(ctx, east, &stateManager{associations: map[string]string{"patching": "x"}}, c)
	require.NoError(t, err)
	require.Equal(t, []string{audit.CheckJoinAssociationMissing + " " + hostjoin.AssociationName}, subjects(got))
	assert.Contains(t, got[0].Got, "2 tagged instances never join")
	assert.Contains(t, got[0].Got, a)
	assert.Contains(t, got[0].Got, b)

	// eu-central-1: no tagged hosts, and State Manager is not asked.
	central := ec2.NewFromConfig(srv.Config("eu-central-1"))
	run(central, map[string]string{"Name": "db"})
	quiet := &stateManager{}
	got, err = audit.CheckHostJoin(ctx, central, quiet, c)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Zero(t, quiet.calls)

	// The domain-controller model's member template joins hosts to the
	// domain it builds; the per-role model joins none.
	dc, err := settings.Load("../../../../examples/domain-controller/runas.yaml")
	require.NoError(t, err)
	assert.True(t, audit.JoinsHosts(dc))
	pr, err := settings.Load("../../../../examples/per-role/runas.yaml")
	require.NoError(t, err)
	assert.False(t, audit.JoinsHosts(pr))
	got, err = audit.CheckHostJoin(ctx, west, sm, pr)
	require.NoError(t, err)
	assert.Empty(t, got)
}
