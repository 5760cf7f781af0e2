package runas

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudformation"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

// SessionBrokerType is the component's type token.
const SessionBrokerType = "ssm-runas:aws:SessionBroker"

// The broker function's runtime settings.
const (
	// BrokerRuntime is the OS-only runtime Go functions run on.
	// https://docs.aws.amazon.com/lambda/latest/dg/lambda-golang.html
	BrokerRuntime = "provided.al2023"
	// BrokerHandler is the executable the OS-only runtime starts.
	BrokerHandler = "bootstrap"
	// BrokerMemoryMB: the broker makes two AWS calls and keeps no state.
	BrokerMemoryMB = 128
	// BrokerTimeoutSeconds covers STS AssumeRole and SSM StartSession with
	// the SDK's retries; the client waits for the answer.
	BrokerTimeoutSeconds = 30
	// BrokerLogRetentionDays is how long the broker's decision lines are
	// kept: as long as the preferences writer's logs.
	BrokerLogRetentionDays = cfn.WriterLogRetentionDays
	// FunctionURLAuthIAM makes the function URL check SigV4 signatures and
	// IAM policies before the function runs.
	FunctionURLAuthIAM = "AWS_IAM"
)

// basicExecutionPolicy is the AWS managed policy that lets a function write
// its logs to CloudWatch Logs.
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
const basicExecutionPolicy = "iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

// SessionBrokerArgs configure the session broker, deployed through the aws
// provider passed with pulumi.Provider: the management account, in the
// broker's region.
type SessionBrokerArgs struct {
	// FunctionName is required: the function's name, also its execution
	// role's name (the session roles trust that role by ARN).
	FunctionName string
	// Zip is required: the broker's zip (artifact.BuildBroker or
	// artifact.Broker.FromFile).
	Zip artifact.Zip
	// Architecture is optional, default artifact.DefaultArch: what the zip
	// was built for.
	Architecture string
	// Rules are required: what the function decides with (e.g.
	// settings.Config.BrokerRules), handed to it as JSON in the
	// environment variable rules.EnvVar.
	Rules rules.Rules
	// Policies are required: the arguments of the role's policy and of the
	// function URL's resource policy (brokerpolicy.BrokerRolePolicy and
	// FunctionURLPolicy), e.g. settings.Config.BrokerRoleArgs.
	Policies brokerpolicy.BrokerRoleArgs
	// Partition is optional, default aws: the partition of the AWS managed
	// logging policy.
	Partition string
}

// SessionBroker is the per-permission-set model's broker: its execution
// role, the function, its IAM-authenticated function URL and the resource
// policy that lets the organization's principals call it through the URL.
type SessionBroker struct {
	pulumi.ResourceState

	// URL is the function URL people's clients sign requests to
	// (https://<id>.lambda-url.<region>.on.aws/).
	URL pulumi.StringOutput `pulumi:"url"`
	// RoleARN is the function's execution role, the principal the session
	// roles trust.
	RoleARN pulumi.StringOutput `pulumi:"roleArn"`
	// FunctionARN is the function.
	FunctionARN pulumi.StringOutput `pulumi:"functionArn"`

	role pulumi.Resource
}

// Ready returns what must exist before a session role that trusts the
// broker's role is created: IAM refuses a trust policy naming a principal
// that does not exist. Depend on these rather than on the component (a
// dependency on a component covers only the children attached by then).
func (b *SessionBroker) Ready() []pulumi.Resource { return []pulumi.Resource{b.role} }

// functionURLGrant is one statement of the function's resource policy, in
// the terms of Lambda's AddPermission.
type functionURLGrant struct {
	Sid            string
	Action         string
	PrincipalOrgID string
	// AuthType is the lambda:FunctionUrlAuthType the statement requires.
	AuthType string
	// ViaURL is lambda:InvokedViaFunctionUrl: the statement applies only
	// to invocations through the function URL.
	ViaURL bool
}

// functionURLGrants translates brokerpolicy.FunctionURLPolicy into
// AddPermission arguments, refusing any statement AddPermission cannot
// express, so that what is deployed is exactly the evaluated document.
func functionURLGrants(doc policy.Document) ([]functionURLGrant, error) {
	var out []functionURLGrant
	for _, st := range doc.Statement {
		if st.Effect != policy.Allow || st.Principal == nil || !st.Principal.Everyone || len(st.Action) != 1 || len(st.NotAction) > 0 || len(st.NotResource) > 0 {
			return nil, fmt.Errorf("function URL policy statement %q: a function's permission allows one action to the principal \"*\"", st.Sid)
		}
		g := functionURLGrant{Sid: st.Sid, Action: st.Action[0]}
		for op, keys := range st.Condition {
			for key, values := range keys {
				if len(values) != 1 {
					return nil, fmt.Errorf("function URL policy statement %q: condition %s %s must have one value", st.Sid, op, key)
				}
				switch {
				case op == "StringEquals" && key == brokerpolicy.PrincipalOrgIDKey:
					g.PrincipalOrgID = values[0]
				case op == "StringEquals" && key == brokerpolicy.FunctionURLAuthType:
					g.AuthType = values[0]
				case op == "Bool" && key == brokerpolicy.InvokedViaFunctionURL && values[0] == "true":
					g.ViaURL = true
				default:
					return nil, fmt.Errorf("function URL policy statement %q: condition %s %s is not one a function's permission sets", st.Sid, op, key)
				}
			}
		}
		if g.PrincipalOrgID == "" {
			return nil, fmt.Errorf("function URL policy statement %q: must be limited to the organization (%s)", st.Sid, brokerpolicy.PrincipalOrgIDKey)
		}
		out = append(out, g)
	}
	return out, nil
}

// lambdaPermissionProperties are AWS::Lambda::Permission's properties.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html
type lambdaPermissionProperties struct {
	Action                string `json:"Action"`
	FunctionName          string `json:"FunctionName"`
	Principal             string `json:"Principal"`
	PrincipalOrgID        string `json:"PrincipalOrgID,omitempty"`
	FunctionURLAuthType   string `json:"FunctionUrlAuthType,omitempty"`
	InvokedViaFunctionURL bool   `json:"InvokedViaFunctionUrl,omitempty"`
}

// viaURLTemplate is a CloudFormation template holding the grants that need
// lambda:InvokedViaFunctionUrl. Function URLs created since October 2025
// need lambda:InvokeFunction besides lambda:InvokeFunctionUrl, and the
// invoke must be limited to the URL (else anyone in the organization could
// hand the function an event of their own, naming any caller). pulumi-aws
// v6.83.2's lambda.Permission has no invokedViaFunctionUrl;
// AWS::Lambda::Permission has InvokedViaFunctionUrl.
// https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
func viaURLTemplate(functionName string, grants []functionURLGrant) cfn.Template {
	t := cfn.Template{
		AWSTemplateFormatVersion: cfn.FormatVersion,
		Description:              "ssm-runas: lets the organization invoke " + functionName + " through its function URL, and only through it",
		Resources:                map[string]cfn.Resource{},
	}
	for _, g := range grants {
		t.Resources[g.Sid] = cfn.Resource{
			Type: "AWS::Lambda::Permission",
			Properties: lambdaPermissionProperties{
				Action:                g.Action,
				FunctionName:          functionName,
				Principal:             "*",
				PrincipalOrgID:        g.PrincipalOrgID,
				FunctionURLAuthType:   g.AuthType,
				InvokedViaFunctionURL: g.ViaURL,
			},
		}
	}
	return t
}

// BrokerLogGroupName is the log group Lambda writes the function's lines
// to when the function names no other: /aws/lambda/<function name>.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
func BrokerLogGroupName(functionName string) string { return "/aws/lambda/" + functionName }

var stackNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9-]`)

// BrokerURLStackName is the CloudFormation stack holding the function's
// invoke-through-URL permission: stack names take letters, digits and
// hyphens and begin with a letter; function names may hold underscores and
// begin with a digit.
func BrokerURLStackName(functionName string) string {
	name := stackNameUnsafe.ReplaceAllString(functionName, "-") + "-url-invoke"
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		name = "fn-" + name
	}
	return name
}

// lambdaTrustPolicy lets Lambda assume the function's role.
func lambdaTrustPolicy() policy.Document {
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Effect:    policy.Allow,
		Principal: &policy.Principal{Service: policy.Strings{"lambda.amazonaws.com"}},
		Action:    policy.Strings{"sts:AssumeRole"},
	}}}
}

// brokerPlan is everything the component sends, computed before anything
// is registered.
type brokerPlan struct {
	arch      string
	partition string
	// environment is the function's environment: the rules.
	environment map[string]string
	rolePolicy  policy.Document
	direct      []functionURLGrant
	viaURL      []functionURLGrant
}

func (a *SessionBrokerArgs) plan() (brokerPlan, error) {
	p := brokerPlan{arch: a.Architecture, partition: a.Partition}
	if a.FunctionName == "" {
		return p, errors.New("NewSessionBroker: FunctionName is required")
	}
	if a.Zip.SHA256 == "" || a.Zip.Path == "" {
		return p, errors.New("NewSessionBroker: Zip is required (artifact.BuildBroker or artifact.Broker.FromFile)")
	}
	if p.arch == "" {
		p.arch = artifact.DefaultArch
	}
	if p.partition == "" {
		p.partition = "aws"
	}
	if err := a.Rules.Validate(); err != nil {
		return p, fmt.Errorf("NewSessionBroker: %w", err)
	}
	env, err := a.Rules.Environment()
	if err != nil {
		return p, fmt.Errorf("NewSessionBroker: %w", err)
	}
	p.environment = env
	if p.rolePolicy, err = brokerpolicy.BrokerRolePolicy(a.Policies); err != nil {
		return p, fmt.Errorf("NewSessionBroker: %w", err)
	}
	urlPolicy, err := brokerpolicy.FunctionURLPolicy(a.Policies)
	if err != nil {
		return p, fmt.Errorf("NewSessionBroker: %w", err)
	}
	grants, err := functionURLGrants(urlPolicy)
	if err != nil {
		return p, fmt.Errorf("NewSessionBroker: %w", err)
	}
	for _, g := range grants {
		if g.ViaURL {
			p.viaURL = append(p.viaURL, g)
		} else {
			p.direct = append(p.direct, g)
		}
	}
	return p, nil
}

// NewSessionBroker registers the broker's role, function, function URL and
// resource policy.
func NewSessionBroker(ctx *pulumi.Context, name string, args *SessionBrokerArgs, opts ...pulumi.ResourceOption) (*SessionBroker, error) {
	if args == nil {
		return nil, errors.New("NewSessionBroker: args are required")
	}
	p, err := args.plan()
	if err != nil {
		return nil, err
	}
	comp := &SessionBroker{}
	if err := ctx.RegisterComponentResource(SessionBrokerType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")}

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:             pulumi.String(args.FunctionName),
		Description:      pulumi.String("ssm-runas: the session broker; assumes the session roles of the organization's accounts"),
		AssumeRolePolicy: pulumi.String(string(lambdaTrustPolicy().JSON())),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("broker role: %w", err)
	}
	inline, err := iam.NewRolePolicy(ctx, name+"-assume-session-roles", &iam.RolePolicyArgs{
		Name:   pulumi.String("assume-session-roles"),
		Role:   role.Name,
		Policy: pulumi.String(string(p.rolePolicy.JSON())),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("broker role policy: %w", err)
	}
	logs, err := iam.NewRolePolicyAttachment(ctx, name+"-logs", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:" + p.partition + ":" + basicExecutionPolicy),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("broker logging policy: %w", err)
	}

	// The function's default log group, created with a retention before
	// the function runs: Lambda would otherwise create it at the first
	// invocation, keeping every line forever.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-log-group", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(BrokerLogGroupName(args.FunctionName)),
		RetentionInDays: pulumi.Int(BrokerLogRetentionDays),
		Tags:            tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("broker log group: %w", err)
	}

	fn, err := lambda.NewFunction(ctx, name+"-function", &lambda.FunctionArgs{
		Name:           pulumi.String(args.FunctionName),
		Description:    pulumi.String("ssm-runas: starts Session Manager sessions as the Linux user of the caller's permission set"),
		Role:           role.Arn,
		Runtime:        pulumi.String(BrokerRuntime),
		Handler:        pulumi.String(BrokerHandler),
		Architectures:  pulumi.StringArray{pulumi.String(p.arch)},
		MemorySize:     pulumi.Int(BrokerMemoryMB),
		Timeout:        pulumi.Int(BrokerTimeoutSeconds),
		Code:           pulumi.NewFileArchive(args.Zip.Path),
		SourceCodeHash: sourceCodeHash(args.Zip),
		Environment: &lambda.FunctionEnvironmentArgs{
			Variables: pulumi.ToStringMap(p.environment),
		},
		Tags: tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{inline, logs, logGroup}))
	if err != nil {
		return nil, fmt.Errorf("broker function: %w", err)
	}
	url, err := lambda.NewFunctionUrl(ctx, name+"-url", &lambda.FunctionUrlArgs{
		FunctionName:      fn.Name,
		AuthorizationType: pulumi.String(FunctionURLAuthIAM),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("broker function URL: %w", err)
	}
	for _, g := range p.direct {
		pa := &lambda.PermissionArgs{
			Function:       fn.Name,
			StatementId:    pulumi.String(g.Sid),
			Action:         pulumi.String(g.Action),
			Principal:      pulumi.String("*"),
			PrincipalOrgId: pulumi.String(g.PrincipalOrgID),
		}
		if g.AuthType != "" {
			pa.FunctionUrlAuthType = pulumi.String(g.AuthType)
		}
		if _, err := lambda.NewPermission(ctx, name+"-"+kebab(g.Sid), pa, parent); err != nil {
			return nil, fmt.Errorf("broker permission %s: %w", g.Sid, err)
		}
	}
	if len(p.viaURL) > 0 {
		body := string(viaURLTemplate(args.FunctionName, p.viaURL).JSON())
		if _, err := cloudformation.NewStack(ctx, name+"-url-invoke", &cloudformation.StackArgs{
			Name:         pulumi.String(BrokerURLStackName(args.FunctionName)),
			TemplateBody: pulumi.String(body),
			Tags:         tags,
		}, parent, pulumi.DependsOn([]pulumi.Resource{fn})); err != nil {
			return nil, fmt.Errorf("broker invoke-through-URL permission: %w", err)
		}
	}

	comp.role = role
	comp.URL = url.FunctionUrl
	comp.RoleARN = role.Arn
	comp.FunctionARN = fn.Arn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"url":         comp.URL,
		"roleArn":     comp.RoleARN,
		"functionArn": comp.FunctionARN,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// sourceCodeHash is the zip's CodeSha256, or nothing for a zip that was not
// built (an offline preview).
func sourceCodeHash(z artifact.Zip) pulumi.StringPtrInput {
	if h := z.SourceCodeHash(); h != "" {
		return pulumi.String(h)
	}
	return nil
}

// kebab turns a statement id (OrganizationInvokesURL) into a resource name
// suffix (organization-invokes-url).
func kebab(sid string) string {
	var b strings.Builder
	for i, r := range sid {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prev := rune(sid[i-1])
			nextLower := i+1 < len(sid) && sid[i+1] >= 'a' && sid[i+1] <= 'z'
			if prev >= 'a' && prev <= 'z' || nextLower {
				b.WriteByte('-')
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
