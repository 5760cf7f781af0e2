package audit

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
)

// clientConfig is the configuration of the factory's clients in account
// and region, read from its SSM client there: the account's assumed-role
// credentials (the base ones in the management account), the retryer and
// the rate limit of that account-region, the endpoint and the HTTP
// client. IAM, Lambda and EC2 clients built from it reach the same account
// with the same machinery as the document checks, and share their pace.
func clientConfig(f *awsorg.Factory, account, region string) aws.Config {
	o := f.SSM(account, region).Options()
	retryer := o.Retryer
	return aws.Config{
		Region:        o.Region,
		Credentials:   o.Credentials,
		HTTPClient:    o.HTTPClient,
		BaseEndpoint:  o.BaseEndpoint,
		APIOptions:    o.APIOptions,
		Retryer:       func() aws.Retryer { return retryer },
		Logger:        o.Logger,
		ClientLogMode: o.ClientLogMode,
		AppID:         o.AppID,
	}
}

// iamClient is the IAM client of account. IAM is global: region only
// places the client (its calls are signed for us-east-1 whatever it is).
func iamClient(f *awsorg.Factory, account, region string) *iam.Client {
	return iam.NewFromConfig(clientConfig(f, account, region))
}

// lambdaClient is the Lambda client of account in region.
func lambdaClient(f *awsorg.Factory, account, region string) *lambda.Client {
	return lambda.NewFromConfig(clientConfig(f, account, region))
}

// ec2Client is the EC2 client of account in region.
func ec2Client(f *awsorg.Factory, account, region string) *ec2.Client {
	return ec2.NewFromConfig(clientConfig(f, account, region))
}
