package audit

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Checks on the hosts tagged for joining the domain (per-user model).
const (
	// CheckJoinAssociationMissing: instances carry the join tag, but the
	// account-region has no join association: they never join.
	CheckJoinAssociationMissing = "join-association-missing"
	// CheckJoinFailed: the join association failed on an instance; people
	// do not resolve there and their sessions fail.
	CheckJoinFailed = "join-failed"
	// CheckJoinNotApplied: a tagged, running instance has no status for
	// the join association: it is not a managed node (no SSM agent or
	// instance profile), or the association has not reached it.
	CheckJoinNotApplied = "join-not-applied"
)

// Association statuses an instance reports
// (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_InstanceAssociationStatusInfo.html).
const associationFailed = "Failed"

// InstancesAPI is the part of EC2 the join check needs.
type InstancesAPI interface {
	ec2.DescribeInstancesAPIClient
}

// AssociationsAPI is the part of State Manager the join check needs.
type AssociationsAPI interface {
	ssm.ListAssociationsAPIClient
	ssm.DescribeInstanceAssociationsStatusAPIClient
}

// JoinsHosts reports whether the configuration's member template carries
// the domain join association: whenever it has a perUser section
// (hostjoin.SectionFor), with an existing domain or the one the
// domain-controller model builds.
func JoinsHosts(c *settings.Config) bool {
	return c.PerUser != nil
}

// CheckHostJoin checks, in one account and region, the running instances
// tagged perUser.hosts.targetTagKey=targetTagValue against the member
// template's join association (hostjoin.AssociationName): the association
// exists when there are such instances, and its status on each instance is
// not Failed and not absent. An account-region without tagged instances
// costs one EC2 call. Nothing is checked when the configuration joins no
// hosts.
func CheckHostJoin(ctx context.Context, instances InstancesAPI, associations AssociationsAPI, c *settings.Config) ([]Finding, error) {
	if !JoinsHosts(c) {
		return nil, nil
	}
	h := c.PerUser.Hosts
	tag := h.TargetTagKey + "=" + h.TargetTagValue
	var ids []string
	p := ec2.NewDescribeInstancesPaginator(instances, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + h.TargetTagKey), Values: []string{h.TargetTagValue}},
		{Name: aws.String("instance-state-name"), Values: []string{string(ec2types.InstanceStateNameRunning)}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the instances tagged %s: %w", tag, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	sort.Strings(ids)

	name := hostjoin.AssociationName
	var id string
	lp := ssm.NewListAssociationsPaginator(associations, &ssm.ListAssociationsInput{AssociationFilterList: []ssmtypes.AssociationFilter{
		{Key: ssmtypes.AssociationFilterKeyAssociationName, Value: aws.String(name)},
	}})
	for lp.HasMorePages() && id == "" {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing association %s: %w", name, err)
		}
		for _, a := range page.Associations {
			if aws.ToString(a.AssociationName) == name {
				id = aws.ToString(a.AssociationId)
				break
			}
		}
	}
	if id == "" {
		return []Finding{{Check: CheckJoinAssociationMissing, Subject: name,
			Want: "the join association on the instances tagged " + tag,
			Got:  fmt.Sprintf("none: %d tagged instances never join (%s)", len(ids), strings.Join(ids, ", "))}}, nil
	}

	var findings []Finding
	for _, inst := range ids {
		st, found, err := instanceAssociationStatus(ctx, associations, inst, id)
		if err != nil {
			return nil, err
		}
		switch {
		case !found:
			findings = append(findings, Finding{Check: CheckJoinNotApplied, Subject: inst, Want: "a status of association " + name + " (" + id + ")",
				Got: "none: the instance is not a managed node (SSM agent, instance profile with AmazonSSMManagedInstanceCore) or the association has not run on it yet"})
		case aws.ToString(st.Status) == associationFailed:
			findings = append(findings, Finding{Check: CheckJoinFailed, Subject: inst, Want: "Success", Got: failedJoin(st, id)})
		}
	}
	return findings, nil
}

// instanceAssociationStatus finds the status of association id on an
// instance; an instance SSM does not know (not a managed node) has none.
func instanceAssociationStatus(ctx context.Context, api AssociationsAPI, instance, id string) (ssmtypes.InstanceAssociationStatusInfo, bool, error) {
	p := ssm.NewDescribeInstanceAssociationsStatusPaginator(api, &ssm.DescribeInstanceAssociationsStatusInput{InstanceId: aws.String(instance)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if errors.As(err, new(*ssmtypes.InvalidInstanceId)) {
			return ssmtypes.InstanceAssociationStatusInfo{}, false, nil
		}
		if err != nil {
			return ssmtypes.InstanceAssociationStatusInfo{}, false, fmt.Errorf("reading the association status of %s: %w", instance, err)
		}
		for _, s := range page.InstanceAssociationStatusInfos {
			if aws.ToString(s.AssociationId) == id {
				return s, true, nil
			}
		}
	}
	return ssmtypes.InstanceAssociationStatusInfo{}, false, nil
}

// failedJoin says what failed and where the join script's output is.
func failedJoin(st ssmtypes.InstanceAssociationStatusInfo, id string) string {
	parts := []string{associationFailed}
	if d := aws.ToString(st.DetailedStatus); d != "" && d != associationFailed {
		parts[0] += " (" + d + ")"
	}
	if e := aws.ToString(st.ErrorCode); e != "" {
		parts = append(parts, "error "+e)
	}
	if s := aws.ToString(st.ExecutionSummary); s != "" {
		parts = append(parts, s)
	}
	if t := st.ExecutionDate; t != nil {
		parts = append(parts, "at "+t.UTC().Format("2006-01-02T15:04:05Z"))
	}
	where := "the script's output: aws ssm describe-association-executions --association-id " + id +
		", then describe-association-execution-targets for the instance"
	if o := st.OutputUrl; o != nil && o.S3OutputUrl != nil && aws.ToString(o.S3OutputUrl.OutputUrl) != "" {
		where = "the script's output: " + aws.ToString(o.S3OutputUrl.OutputUrl)
	}
	return strings.Join(parts, "; ") + "; " + where
}
