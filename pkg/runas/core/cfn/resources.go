package cfn

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"

// RoleProperties are AWS::IAM::Role properties.
type RoleProperties struct {
	RoleName                 any             `json:"RoleName,omitempty"`
	Description              string          `json:"Description,omitempty"`
	AssumeRolePolicyDocument policy.Document `json:"AssumeRolePolicyDocument"`
	Policies                 []InlinePolicy  `json:"Policies,omitempty"`
	Tags                     []Tag           `json:"Tags,omitempty"`
}

// InlinePolicy is an inline role policy.
type InlinePolicy struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument policy.Document `json:"PolicyDocument"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// LogGroupProperties are AWS::Logs::LogGroup properties.
type LogGroupProperties struct {
	LogGroupName    string `json:"LogGroupName"`
	RetentionInDays int    `json:"RetentionInDays"`
}

// FunctionProperties are AWS::Lambda::Function properties.
type FunctionProperties struct {
	FunctionName  string               `json:"FunctionName"`
	Description   string               `json:"Description,omitempty"`
	Runtime       string               `json:"Runtime"`
	Handler       string               `json:"Handler"`
	Architectures []string             `json:"Architectures"`
	MemorySize    int                  `json:"MemorySize"`
	Timeout       int                  `json:"Timeout"`
	Role          any                  `json:"Role"`
	Code          FunctionCode         `json:"Code"`
	Environment   *FunctionEnvironment `json:"Environment,omitempty"`
	LoggingConfig *LoggingConfig       `json:"LoggingConfig,omitempty"`
	Tags          []Tag                `json:"Tags,omitempty"`
}

// FunctionEnvironment sets the function's environment variables; values
// may be intrinsic functions.
type FunctionEnvironment struct {
	Variables map[string]any `json:"Variables"`
}

// FunctionCode points at the zip in S3.
type FunctionCode struct {
	S3Bucket any `json:"S3Bucket"`
	S3Key    any `json:"S3Key"`
}

// LoggingConfig names the function's log group.
type LoggingConfig struct {
	LogGroup  any    `json:"LogGroup"`
	LogFormat string `json:"LogFormat,omitempty"`
}
