package audit

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/jsoneq"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Organization checks.
const (
	CheckSCPMissing       = "scp-missing"
	CheckSCPContent       = "scp-content"
	CheckSCPAttachment    = "scp-attachment"
	CheckStackSetMissing  = "stackset-missing"
	CheckStackSetInstance = "stackset-instance"
	CheckStackSetRegion   = "stackset-region"
)

// PoliciesAPI is the part of Organizations the SCP check needs.
type PoliciesAPI interface {
	organizations.ListPoliciesAPIClient
	organizations.ListTargetsForPolicyAPIClient
	DescribePolicy(ctx context.Context, in *organizations.DescribePolicyInput, optFns ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
}

// StackSetAPI is the part of CloudFormation the StackSet check needs.
type StackSetAPI interface {
	cloudformation.ListStackInstancesAPIClient
	DescribeStackSet(ctx context.Context, in *cloudformation.DescribeStackSetInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOutput, error)
}

// CheckSCP finds the guardrail SCP by name, compares its content with the
// desired one, and checks it is attached to every target.
func CheckSCP(ctx context.Context, api PoliciesAPI, c *settings.Config) ([]Finding, error) {
	// The SCP the stack deploys (SessionGuardrail), from the one mapping.
	want, err := policy.GuardrailSCP(c.GuardrailSCPArgs())
	if err != nil {
		return nil, err
	}
	name := c.Guardrail.PolicyName
	var id string
	p := organizations.NewListPoliciesPaginator(api, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for p.HasMorePages() && id == "" {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing SCPs: %w", err)
		}
		for _, s := range page.Policies {
			if aws.ToString(s.Name) == name {
				id = aws.ToString(s.Id)
			}
		}
	}
	if id == "" {
		return []Finding{{Check: CheckSCPMissing, Subject: name, Want: "an SCP named " + name, Got: "none"}}, nil
	}
	out, err := api.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("reading SCP %s: %w", id, err)
	}
	var findings []Finding
	got := aws.ToString(out.Policy.Content)
	if !jsoneq.Equal([]byte(got), want.JSON()) {
		findings = append(findings, Finding{Check: CheckSCPContent, Subject: name + " (" + id + ")", Want: string(want.JSON()), Got: got})
	}
	attached := map[string]bool{}
	tp := organizations.NewListTargetsForPolicyPaginator(api, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(id)})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the targets of SCP %s: %w", id, err)
		}
		for _, t := range page.Targets {
			attached[aws.ToString(t.TargetId)] = true
		}
	}
	for _, t := range c.Organization.Targets {
		if !attached[t] {
			findings = append(findings, Finding{Check: CheckSCPAttachment, Subject: t, Want: "attached", Got: "not attached"})
		}
	}
	return findings, nil
}

// CheckStackSet checks the StackSet exists and every instance is current,
// in every configured region.
func CheckStackSet(ctx context.Context, api StackSetAPI, c *settings.Config) ([]Finding, error) {
	ss := c.Organization.StackSet
	callAs := cfntypes.CallAs(ss.CallAs)
	_, err := api.DescribeStackSet(ctx, &cloudformation.DescribeStackSetInput{StackSetName: aws.String(ss.Name), CallAs: callAs})
	var nf *cfntypes.StackSetNotFoundException
	if errors.As(err, &nf) {
		return []Finding{{Check: CheckStackSetMissing, Subject: ss.Name, Want: "the StackSet", Got: "none"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing StackSet %s: %w", ss.Name, err)
	}
	var findings []Finding
	regions := map[string]bool{}
	p := cloudformation.NewListStackInstancesPaginator(api, &cloudformation.ListStackInstancesInput{StackSetName: aws.String(ss.Name), CallAs: callAs})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the instances of %s: %w", ss.Name, err)
		}
		for _, in := range page.Summaries {
			region := aws.ToString(in.Region)
			regions[region] = true
			if in.Status != cfntypes.StackInstanceStatusCurrent {
				got := string(in.Status)
				if in.StackInstanceStatus != nil && in.StackInstanceStatus.DetailedStatus != "" {
					got += "/" + string(in.StackInstanceStatus.DetailedStatus)
				}
				if r := aws.ToString(in.StatusReason); r != "" {
					got += ": " + r
				}
				findings = append(findings, Finding{Check: CheckStackSetInstance, Subject: aws.ToString(in.Account) + "/" + region, Want: string(cfntypes.StackInstanceStatusCurrent), Got: got})
			}
		}
	}
	var missing []string
	for _, r := range c.Organization.Regions {
		if !regions[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	for _, r := range missing {
		findings = append(findings, Finding{Check: CheckStackSetRegion, Subject: r, Want: "stack instances", Got: "none"})
	}
	return findings, nil
}

// organizationSection holds what the stack deploys once for the whole
// organization: the SCP, the StackSet, and, where the model has them, the
// session broker and the domain controller.
func organizationSection(ctx context.Context, c *settings.Config, src Sources, opts Options) Section {
	var b sectionBuilder
	if c.GuardrailEnabled() {
		b.add(CheckSCP(ctx, src.Policies, c))
	}
	b.add(CheckStackSet(ctx, src.StackSets, c))
	if c.Broker != nil && src.Broker != nil {
		b.add(CheckBroker(ctx, src.Broker, src.ProbeBroker, c))
	}
	if c.DomainController != nil && src.Parameters != nil {
		b.add(CheckDomainController(ctx, src.Parameters, c, opts.PulumiProject, opts.PulumiStack))
	}
	return b.done()
}
