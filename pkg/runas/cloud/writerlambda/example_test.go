package writerlambda_test

import (
	"context"
	"log"
	"os"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/writerlambda"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

// The Lambda's main: the handler knows its stack from the environment the
// template sets, and gets the SSM and CloudFormation clients of its account
// and region.
func ExampleHandler_Handle() {
	self, err := writerlambda.ParseSelf(os.Getenv(writerprops.EnvStackID))
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	h := &writerlambda.Handler{API: ssm.NewFromConfig(cfg), Stack: cloudformation.NewFromConfig(cfg), Self: self}
	var ev writerlambda.Event // as the Lambda runtime decodes it
	if err := h.Handle(context.Background(), ev); err != nil {
		log.Print(err) // not answered: the request did not come from CloudFormation
	}
}
