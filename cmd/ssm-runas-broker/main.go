// Command ssm-runas-broker is the session broker Lambda (provided.al2023)
// of the per-permission-set model, behind a function URL (or API Gateway)
// with AWS_IAM authorization. It reads its rules as JSON from the
// environment variable rules.EnvVar (SSM_RUNAS_BROKER_RULES) the
// deployment sets (settings.Config.BrokerRules computes them); it parses
// no configuration file. All the logic is in pkg/runas/cloud/broker.
//
// Build:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -tags lambda.norpc \
//	  -ldflags='-s -w -buildid=' -o bootstrap ./cmd/ssm-runas-broker
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

func main() {
	b, err := newBroker(context.Background())
	if err != nil {
		// A broker without valid rules must not answer: fail the cold start.
		fmt.Fprintf(os.Stdout, `{"decision":"error","reason":%q}`+"\n", err.Error())
		os.Exit(1)
	}
	lambda.Start(b.Handle)
}

func newBroker(ctx context.Context) (*broker.Broker, error) {
	var r rules.Rules
	if err := json.Unmarshal([]byte(os.Getenv(rules.EnvVar)), &r); err != nil {
		return nil, fmt.Errorf("reading %s: %w", rules.EnvVar, err)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	newSSM := func(creds aws.Credentials, region string) broker.StartSessionAPIClient {
		c := cfg.Copy()
		c.Region = region
		c.Credentials = credentials.StaticCredentialsProvider{Value: creds}
		return ssm.NewFromConfig(c)
	}
	return broker.New(r, sts.NewFromConfig(cfg), newSSM, broker.Options{Log: os.Stdout})
}
