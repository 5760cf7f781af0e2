// Command ssm-prefs-writer is the Lambda (provided.al2023) behind the
// CloudFormation custom resource Custom::SessionManagerPreferences. The
// StackSet installs it in every member account and region; it upserts
// SSM-SessionManagerRunShell there and restores it on delete. It serves only
// requests CloudFormation sends for its own stack, named by the
// SSM_RUNAS_STACK_ID environment variable the template sets. All the logic
// is in pkg/runas/cloud/writerlambda and pkg/runas/cloud/ssmprefs, which
// `runas remediate` shares; the wire contract is pkg/runas/core/writerprops.
//
// Build (what the Pulumi program does, reproducibly):
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -tags lambda.norpc \
//	  -ldflags='-s -w -buildid=' -o bootstrap ./cmd/ssm-prefs-writer
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/writerlambda"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	self, err := writerlambda.ParseSelf(os.Getenv(writerprops.EnvStackID))
	if err != nil {
		// Without its stack the writer cannot tell CloudFormation's requests
		// from forged ones; it answers none.
		log.Error("reading the function's stack", "error", err)
		os.Exit(1)
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(),
		awsconfig.WithRetryer(func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 6 }) }))
	if err != nil {
		// Without credentials no request can be answered well; fail the cold start loudly.
		log.Error("loading AWS configuration", "error", err)
		os.Exit(1)
	}
	h := &writerlambda.Handler{
		API:   ssm.NewFromConfig(cfg),
		Stack: cloudformation.NewFromConfig(cfg),
		Self:  self,
		Log:   log,
	}
	lambda.Start(func(ctx context.Context, ev writerlambda.Event) error {
		return h.Handle(ctx, ev)
	})
}
