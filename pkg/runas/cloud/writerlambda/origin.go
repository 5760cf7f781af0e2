package writerlambda

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

// StackResourceAPI is the part of the CloudFormation API the writer uses to
// check a request against CloudFormation's own record; *cloudformation.Client
// satisfies it.
type StackResourceAPI interface {
	DescribeStackResource(context.Context, *cloudformation.DescribeStackResourceInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error)
}

// RefusedError is a request the writer will not act on because it does not
// come from CloudFormation for the writer's own stack.
type RefusedError struct {
	// Reason names the field and the rule it broke.
	Reason string
}

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

func refused(format string, a ...any) error { return &RefusedError{Reason: fmt.Sprintf(format, a...)} }

// Self is the stack the function belongs to, from the environment the
// template sets (writerprops.EnvStackID).
type Self struct {
	// StackID is the stack's ARN.
	StackID   string
	partition string
	region    string
	account   string
}

// ParseSelf reads the stack ARN the template put in the function's
// environment.
func ParseSelf(stackID string) (Self, error) {
	if stackID == "" {
		return Self{}, fmt.Errorf("environment %s is not set: the template sets it from AWS::StackId", writerprops.EnvStackID)
	}
	a, err := arn.Parse(stackID)
	if err != nil || a.Service != "cloudformation" || !strings.HasPrefix(a.Resource, "stack/") || a.Region == "" || a.AccountID == "" {
		return Self{}, fmt.Errorf("environment %s %q: must be a CloudFormation stack ARN", writerprops.EnvStackID, stackID)
	}
	return Self{StackID: stackID, partition: a.Partition, region: a.Region, account: a.AccountID}, nil
}

// FunctionARN is the writer function the stack creates: the only service
// token its requests may name.
func (s Self) FunctionARN() string {
	return arn.ARN{Partition: s.partition, Service: "lambda", Region: s.region, AccountID: s.account,
		Resource: "function:" + naming.WriterFunctionName}.String()
}

// dnsSuffix is the domain of the partition's S3 endpoints.
func dnsSuffix(partition string) (string, bool) {
	switch partition {
	case "aws", "aws-us-gov":
		return "amazonaws.com", true
	case "aws-cn":
		return "amazonaws.com.cn", true
	}
	return "", false
}

// ResponseBucket is the bucket CloudFormation's presigned response URLs
// point into in region: cloudformation-custom-resource-response-<region
// without dashes>, owned by AWS.
//
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-vpce-bucketnames.html
func ResponseBucket(region string) string {
	return "cloudformation-custom-resource-response-" + strings.ReplaceAll(region, "-", "")
}

// CheckResponseURL reports whether raw can be a presigned URL CloudFormation
// made for a stack in partition and region: HTTPS, no credentials or port,
// and the response bucket of that region on one of the S3 endpoint names
// (virtual-hosted or path style). The writer sends nothing anywhere else.
func (s Self) CheckResponseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return refused("ResponseURL is not a URL")
	}
	if u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Opaque != "" {
		return refused("ResponseURL must be a plain https URL, got scheme %q host %q", u.Scheme, u.Host)
	}
	suffix, ok := dnsSuffix(s.partition)
	if !ok {
		return refused("partition %q has no known CloudFormation response endpoint", s.partition)
	}
	bucket := ResponseBucket(s.region)
	endpoints := []string{
		"s3." + s.region + "." + suffix,
		"s3-" + s.region + "." + suffix,
		"s3.dualstack." + s.region + "." + suffix,
	}
	if s.partition == "aws" {
		endpoints = append(endpoints, "s3.amazonaws.com") // the legacy global endpoint
	}
	host := strings.ToLower(u.Hostname())
	for _, ep := range endpoints {
		if host == bucket+"."+ep {
			return nil
		}
		if host == ep && strings.HasPrefix(u.EscapedPath(), "/"+bucket+"/") {
			return nil
		}
	}
	return refused("ResponseURL host %q: must be CloudFormation's response bucket %s in %s", u.Hostname(), bucket, s.region)
}

// checkEvent checks what the request says about itself: it must be for
// this stack, this resource, and this function.
func (s Self) checkEvent(ctx context.Context, ev Event, serviceToken string) error {
	if ev.StackID != s.StackID {
		return refused("StackId %q: this function serves only %s", ev.StackID, s.StackID)
	}
	if ev.LogicalResourceID != writerprops.LogicalID || ev.ResourceType != writerprops.ResourceType {
		return refused("resource %s (%s): this function serves only %s (%s)", ev.LogicalResourceID, ev.ResourceType,
			writerprops.LogicalID, writerprops.ResourceType)
	}
	self := s.FunctionARN()
	if serviceToken != self || (ev.ServiceToken != "" && ev.ServiceToken != self) {
		return refused("ServiceToken %q: must be this function, %s", serviceToken, self)
	}
	// When running in Lambda, the function invoked must be the stack's own
	// (a copy of the code elsewhere, with the environment copied, is not).
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.InvokedFunctionArn != "" {
		if unqualified(lc.InvokedFunctionArn) != self {
			return refused("invoked as %s: this code serves only %s", lc.InvokedFunctionArn, self)
		}
	}
	return nil
}

// unqualified drops a version or alias from a function ARN.
func unqualified(fn string) string {
	parts := strings.Split(fn, ":")
	if len(parts) == 8 {
		return strings.Join(parts[:7], ":")
	}
	return fn
}

// DefaultPermissionWait is how long the writer keeps asking, pause by
// pause, when CloudFormation answers AccessDenied: the role's grant may have
// been added by the very stack update that invokes the writer, and IAM
// changes take seconds to propagate.
var DefaultPermissionWait = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}

func describeOwnResource(ctx context.Context, api StackResourceAPI, stack string, waits []time.Duration) (*cloudformation.DescribeStackResourceOutput, error) {
	in := &cloudformation.DescribeStackResourceInput{StackName: aws.String(stack), LogicalResourceId: aws.String(writerprops.LogicalID)}
	for _, wait := range waits {
		out, err := api.DescribeStackResource(ctx, in)
		var ae smithy.APIError
		if err == nil || !errors.As(err, &ae) || (ae.ErrorCode() != "AccessDenied" && ae.ErrorCode() != "AccessDeniedException") {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
	return api.DescribeStackResource(ctx, in)
}

// inProgress is the status CloudFormation's record shows while it waits
// for the answer to each request type.
var inProgress = map[string]cfntypes.ResourceStatus{
	RequestCreate: cfntypes.ResourceStatusCreateInProgress,
	RequestUpdate: cfntypes.ResourceStatusUpdateInProgress,
	RequestDelete: cfntypes.ResourceStatusDeleteInProgress,
}

// checkRecord asks CloudFormation whether it is processing this request
// right now: its record of the resource in this stack must be in progress
// for the request type, and for Update and Delete carry the physical id the
// request names. The physical id holds the restore point, so a Delete can
// only restore what CloudFormation recorded from an earlier answer of this
// writer, never a fabricated one.
func (s Self) checkRecord(ctx context.Context, api StackResourceAPI, ev Event, waits []time.Duration) error {
	out, err := describeOwnResource(ctx, api, s.StackID, waits)
	if err != nil {
		return fmt.Errorf("reading CloudFormation's record of %s in %s: %w", writerprops.LogicalID, s.StackID, err)
	}
	d := out.StackResourceDetail
	if d == nil {
		return errors.New("reading CloudFormation's record: empty answer")
	}
	if got := aws.ToString(d.ResourceType); got != writerprops.ResourceType {
		return refused("CloudFormation records %s as %s, not %s", writerprops.LogicalID, got, writerprops.ResourceType)
	}
	if want := inProgress[ev.RequestType]; d.ResourceStatus != want {
		return refused("%s request while CloudFormation records %s as %s, not %s", ev.RequestType, writerprops.LogicalID, d.ResourceStatus, want)
	}
	if ev.RequestType != RequestCreate && aws.ToString(d.PhysicalResourceId) != ev.PhysicalResourceID {
		return refused("PhysicalResourceId %q: CloudFormation records %q", ev.PhysicalResourceID, aws.ToString(d.PhysicalResourceId))
	}
	return nil
}
