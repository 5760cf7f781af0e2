package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Checks on the session broker's function.
const (
	// CheckBrokerFunctionMissing: no function broker.functionName in the
	// broker's account and region.
	CheckBrokerFunctionMissing = "broker-function-missing"
	// CheckBrokerURL: the function has no URL, or its URL does not require
	// IAM authorization (AuthType AWS_IAM).
	CheckBrokerURL = "broker-url"
	// CheckBrokerUnreachable: a signed probe of the URL did not get the
	// broker's answer.
	CheckBrokerUnreachable = "broker-unreachable"
)

// FunctionAPI is the part of Lambda the broker check needs.
type FunctionAPI interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionUrlConfig(ctx context.Context, in *lambda.GetFunctionUrlConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error)
}

// ProbeFunc sends a signed probe to the broker's function URL in region
// and returns nil when the broker answers as the broker does.
type ProbeFunc func(ctx context.Context, url, region string) error

// BrokerProbe is a ProbeFunc signing with creds (the audit's own
// credentials: the function URL's policy admits every principal of the
// organization) through hc (nil: a client with a 30 s timeout). It is
// broker.Probe, the check `runas connect` users rely on: a signed GET the
// broker refuses as "the broker takes POST" after IAM let it through.
func BrokerProbe(creds aws.CredentialsProvider, hc *http.Client) ProbeFunc {
	return func(ctx context.Context, url, region string) error {
		return broker.Probe(ctx, broker.ClientOptions{URL: url, SigningRegion: region, Credentials: creds, HTTPClient: hc})
	}
}

// CheckBroker checks the session broker in its account and region: the
// function broker.functionName exists, it has a function URL, the URL
// requires IAM authorization, and a signed probe of the URL gets the
// broker's answer. The URL is read from Lambda (GetFunctionUrlConfig), so
// the check follows the function wherever its URL moved. Nothing is
// checked without a broker section.
func CheckBroker(ctx context.Context, api FunctionAPI, probe ProbeFunc, c *settings.Config) ([]Finding, error) {
	b := c.Broker
	if b == nil {
		return nil, nil
	}
	subject := c.BrokerFunctionARN()
	_, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(b.FunctionName)})
	if errors.As(err, new(*lambdatypes.ResourceNotFoundException)) {
		return []Finding{{Check: CheckBrokerFunctionMissing, Subject: subject, Want: "the session broker function",
			Got: "none: runas connect fails; people start sessions only through break-glass access"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading function %s: %w", subject, err)
	}
	cfg, err := api.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(b.FunctionName)})
	if errors.As(err, new(*lambdatypes.ResourceNotFoundException)) {
		return []Finding{{Check: CheckBrokerURL, Subject: subject, Want: "a function URL with AuthType AWS_IAM",
			Got: "no function URL: runas connect cannot reach the broker"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the function URL of %s: %w", subject, err)
	}
	u := aws.ToString(cfg.FunctionUrl)
	if cfg.AuthType != lambdatypes.FunctionUrlAuthTypeAwsIam {
		return []Finding{{Check: CheckBrokerURL, Subject: u, Want: "AuthType AWS_IAM",
			Got: "AuthType " + string(cfg.AuthType) + ": requests reach the broker unsigned, and it refuses them all"}}, nil
	}
	if probe == nil {
		return nil, errors.New("probing the broker: no probe configured")
	}
	if err := probe(ctx, u, b.Region); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("probing the broker at %s: %w", u, err)
		}
		return []Finding{{Check: CheckBrokerUnreachable, Subject: u, Want: "the broker's answer to a signed request", Got: err.Error()}}, nil
	}
	return nil, nil
}
