package settings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

// PartitionRegions lists the regions of each AWS partition this release
// knows, from the AWS SDK for Go v2 endpoint metadata (partitions.json).
// Regions launched later are accepted when listed in newRegions.
var PartitionRegions = map[string][]string{
	"aws": {
		"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
		"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
		"eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	},
	"aws-cn":     {"cn-north-1", "cn-northwest-1"},
	"aws-us-gov": {"us-gov-east-1", "us-gov-west-1"},
	"aws-iso":    {"us-iso-east-1", "us-iso-west-1"},
	"aws-iso-b":  {"us-isob-east-1", "us-isob-west-1"},
	"aws-iso-e":  {"eu-isoe-west-1"},
	"aws-iso-f":  {"us-isof-east-1", "us-isof-south-1"},
}

// DeployablePartition is the one partition whose policies and templates
// this release builds; a configuration in another is refused.
const DeployablePartition = "aws"

// Partition is the AWS partition the configuration deploys to, from the
// Identity Center instance ARN; "aws" without one.
func (c *Config) Partition() string {
	if ic := c.IdentityCenter; ic != nil {
		if rest, ok := strings.CutPrefix(ic.InstanceARN, "arn:"); ok {
			if p, _, ok := strings.Cut(rest, ":"); ok && PartitionRegions[p] != nil {
				return p
			}
		}
	}
	return "aws"
}

// validateRegions refuses regions the partition does not have, unless the
// configuration lists them in newRegions (a region launched after this
// release). The region's shape is checked with the organization section.
func (c *Config) validateRegions() field.List {
	var errs field.List
	part := c.Partition()
	if part != DeployablePartition {
		// The Identity Center instance names the partition.
		errs.Add(field.Invalid("identityCenter.instanceArn", c.IdentityCenter.InstanceARN, fmt.Sprintf(
			"is in partition %s, which this release does not deploy to: the SCP, the permission set policies and the templates it builds name partition %s",
			part, DeployablePartition)))
		return errs
	}
	known := PartitionRegions[part]
	check := func(p field.Path, r string) {
		if r == "" || !regionRe.MatchString(r) || slices.Contains(known, r) || slices.Contains(c.NewRegions, r) {
			return
		}
		errs.Add(field.Invalid(p, r, fmt.Sprintf(
			"is not a region of partition %s (known: %s); if it is a region launched after this release, also list it in newRegions",
			part, strings.Join(known, ", "))))
	}
	for i, r := range c.Organization.Regions {
		check(field.Path("organization.regions").Index(i), r)
	}
	if ic := c.IdentityCenter; ic != nil {
		check("identityCenter.region", ic.Region)
	}
	for i, r := range c.NewRegions {
		if !regionRe.MatchString(r) {
			errs.Add(field.Invalid(field.Path("newRegions").Index(i), r, "must be an AWS region name such as eu-west-1"))
		}
	}
	return errs
}
