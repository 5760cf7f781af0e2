package cfn

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

// Logical ids and parameter names of the session preferences template.
const (
	ParamArtifactBucketPrefix = "ArtifactBucketPrefix"
	ParamArtifactKey          = "ArtifactKey"

	LogicalWriterRole     = "WriterRole"
	LogicalWriterLogGroup = "WriterLogGroup"
	LogicalWriterFunction = "WriterFunction"
	// LogicalSessionPreferences is the custom resource (writerprops.LogicalID).
	LogicalSessionPreferences = writerprops.LogicalID

	// PreferencesResourceType is the custom resource type the writer serves.
	PreferencesResourceType = writerprops.ResourceType
	// DataDefaultVersion is the attribute the writer returns: the default
	// version of the document after the write.
	DataDefaultVersion = writerprops.DataDefaultVersion
)

// Writer function settings.
const (
	WriterRuntime      = "provided.al2023"
	WriterHandler      = "bootstrap"
	WriterArchitecture = "arm64"
	WriterMemoryMB     = 128
	// WriterTimeoutSeconds bounds one invocation; the writer answers
	// CloudFormation before it runs out.
	WriterTimeoutSeconds = 120
	// PreferencesServiceTimeoutSeconds is how long CloudFormation waits for
	// an answer before failing the custom resource (1-3600).
	PreferencesServiceTimeoutSeconds = 300
	WriterLogRetentionDays           = 365
)

// PreferencesProperties are the custom resource's properties: the writer's
// wire contract, which lives in writerprops so the Lambda need not import
// this package.
type PreferencesProperties = writerprops.Properties

// ArtifactKeyPattern is what the ArtifactKey parameter accepts: a
// content-addressed zip of the writer.
const ArtifactKeyPattern = `^ssm-prefs-writer/[0-9a-f]{64}\.zip$`

// Section is one optional part of the member template: the role-account
// association, a domain-join association, a broker's session role. AddTo
// adds its parameters, resources and outputs to t; it must not replace what
// is there (check before writing a logical id) and must fail, not half
// write, when its own input is wrong. Sections are added in order after the
// preferences writer.
type Section interface {
	AddTo(t *Template) error
}

// MemberArgs are everything the member template is built from.
type MemberArgs struct {
	// Preferences is required: what every SSM-SessionManagerRunShell holds.
	Preferences sessiondoc.Preferences
	// Sections are optional: further parts of the template, in order.
	Sections []Section
}

// MemberTemplate builds the template the StackSet deploys into every member
// account and region (and the management account gets as plain stacks):
// the writer that upserts SSM-SessionManagerRunShell with args.Preferences,
// then each of args.Sections. It is the only builder of that template:
// `runas stackset template` prints it and the stacks deploy it. The
// preferences are validated again here: this template reaches every account.
func MemberTemplate(args MemberArgs) (Template, error) {
	t, err := sessionPreferencesTemplate(&args.Preferences)
	if err != nil {
		return Template{}, err
	}
	for i, sec := range args.Sections {
		if sec == nil {
			return Template{}, fmt.Errorf("building the member template: section %d is nil", i)
		}
		if err := sec.AddTo(&t); err != nil {
			return Template{}, err
		}
	}
	return t, nil
}

func sessionPreferencesTemplate(prefs *sessiondoc.Preferences) (Template, error) {
	if err := prefs.Validate("sessionPreferences").Err(); err != nil {
		return Template{}, fmt.Errorf("building the session preferences template: %w", err)
	}
	documentARN := "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/" + sessiondoc.DocumentName
	logGroupName := "/aws/lambda/" + naming.WriterFunctionName
	managedBy := []Tag{{Key: "managed-by", Value: "ssm-runas"}}

	return Template{
		AWSTemplateFormatVersion: FormatVersion,
		Description: "ssm-runas: Session Manager preferences (" + sessiondoc.DocumentName +
			") with Run As on, written by an upserting Lambda that restores the previous document on delete.",
		Parameters: map[string]Parameter{
			ParamArtifactBucketPrefix: {
				Type:                  "String",
				Description:           "Prefix of the per-region artifact buckets; the code is read from <prefix>-<region>.",
				AllowedPattern:        `^[a-z0-9][a-z0-9-]*[a-z0-9]$`,
				ConstraintDescription: "lower-case letters, digits and '-'",
			},
			ParamArtifactKey: {
				Type:                  "String",
				Description:           "S3 key of the writer's zip, named by its SHA-256.",
				AllowedPattern:        ArtifactKeyPattern,
				ConstraintDescription: "ssm-prefs-writer/<sha256>.zip",
			},
		},
		Resources: map[string]Resource{
			LogicalWriterRole: {
				Type: "AWS::IAM::Role",
				Properties: RoleProperties{
					// IAM is global and the StackSet deploys one stack per
					// region: the region keeps the names apart, and the SCP
					// exempts the prefix.
					RoleName:    Sub(naming.WriterRolePrefix + "${AWS::Region}"),
					Description: "ssm-runas: lets the preferences writer upsert " + sessiondoc.DocumentName + " in this region",
					AssumeRolePolicyDocument: policy.Document{
						Version: policy.Version,
						Statement: []policy.Statement{{
							Effect:    policy.Allow,
							Principal: &policy.Principal{Service: policy.Strings{"lambda.amazonaws.com"}},
							Action:    policy.Strings{"sts:AssumeRole"},
						}},
					},
					Policies: []InlinePolicy{{
						PolicyName: "upsert-session-preferences",
						PolicyDocument: policy.Document{
							Version: policy.Version,
							Statement: []policy.Statement{
								{
									Sid:    "UpsertPreferencesDocument",
									Effect: policy.Allow,
									Action: policy.Strings{
										"ssm:CreateDocument",
										"ssm:DeleteDocument",
										"ssm:DescribeDocument",
										"ssm:GetDocument",
										"ssm:UpdateDocument",
										"ssm:UpdateDocumentDefaultVersion",
									},
									Resource: policy.Values{Sub(documentARN)},
								},
								{
									// To check that a request is one
									// CloudFormation is processing for this
									// stack, and to read the restore point
									// from CloudFormation's own record.
									Sid:      "ReadOwnStackResource",
									Effect:   policy.Allow,
									Action:   policy.Strings{"cloudformation:DescribeStackResource"},
									Resource: policy.Values{Ref("AWS::StackId")},
								},
								{
									Sid:      "WriteOwnLogs",
									Effect:   policy.Allow,
									Action:   policy.Strings{"logs:CreateLogStream", "logs:PutLogEvents"},
									Resource: policy.Values{Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:" + logGroupName + ":*")},
								},
							},
						},
					}},
					Tags: managedBy,
				},
			},
			LogicalWriterLogGroup: {
				Type:                "AWS::Logs::LogGroup",
				DeletionPolicy:      "Delete",
				UpdateReplacePolicy: "Delete",
				Properties:          LogGroupProperties{LogGroupName: logGroupName, RetentionInDays: WriterLogRetentionDays},
			},
			LogicalWriterFunction: {
				Type: "AWS::Lambda::Function",
				Properties: FunctionProperties{
					FunctionName:  naming.WriterFunctionName,
					Description:   "ssm-runas: upserts " + sessiondoc.DocumentName + " for CloudFormation",
					Runtime:       WriterRuntime,
					Handler:       WriterHandler,
					Architectures: []string{WriterArchitecture},
					MemorySize:    WriterMemoryMB,
					Timeout:       WriterTimeoutSeconds,
					Role:          GetAtt(LogicalWriterRole, "Arn"),
					Code: FunctionCode{
						S3Bucket: Sub("${" + ParamArtifactBucketPrefix + "}-${AWS::Region}"),
						S3Key:    Ref(ParamArtifactKey),
					},
					// The writer refuses requests that do not come from
					// CloudFormation for this very stack.
					Environment:   &FunctionEnvironment{Variables: map[string]any{writerprops.EnvStackID: Ref("AWS::StackId")}},
					LoggingConfig: &LoggingConfig{LogGroup: Ref(LogicalWriterLogGroup), LogFormat: "JSON"},
					Tags:          managedBy,
				},
			},
			LogicalSessionPreferences: {
				Type:       PreferencesResourceType,
				Properties: writerprops.New(GetAtt(LogicalWriterFunction, "Arn"), PreferencesServiceTimeoutSeconds, prefs),
			},
		},
		Outputs: map[string]Output{
			"DocumentName":           {Description: "The preferences document", Value: sessiondoc.DocumentName},
			"DocumentDefaultVersion": {Description: "Its default version after the last write", Value: GetAtt(LogicalSessionPreferences, DataDefaultVersion)},
			"WriterFunctionArn":      {Description: "The preferences writer", Value: GetAtt(LogicalWriterFunction, "Arn")},
		},
	}, nil
}
