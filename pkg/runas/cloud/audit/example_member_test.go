package audit_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// The domain controller's bootstrap records its progress under the
// Pulumi project and stack.
func ExampleDCStatusParameter() {
	fmt.Println(audit.DCStatusParameter(audit.DefaultPulumiProject, "prod"))
	// Output: /runas/ssm-runas/prod/domain-controller/status
}

// The per-user models' member template joins the tagged hosts; the
// per-role model's joins none.
func ExampleJoinsHosts() {
	for _, path := range []string{"../../../../examples/per-user/runas.yaml", "../../../../examples/domain-controller/runas.yaml", "../../../../examples/per-role/runas.yaml"} {
		c, err := settings.Load(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Model, audit.JoinsHosts(c))
	}
	// Output:
	// per-user true
	// domain-controller true
	// per-role false
}

// CheckSessionRole compares the broker's session role in one account and
// region (here the credentials' own account) with the member template's.
func ExampleCheckSessionRole() {
	ctx := context.Background()
	c, err := settings.Load("runas.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	findings, err := audit.CheckSessionRole(ctx, iam.NewFromConfig(cfg), c, "eu-west-1")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Println(f.Check, f.Subject, f.Got)
	}
}

// CheckBroker reads the broker's function and URL and probes the URL,
// signing with the caller's credentials.
func ExampleCheckBroker() {
	ctx := context.Background()
	c, err := settings.Load("runas.yaml")
	if err != nil || c.Broker == nil {
		log.Fatal("a configuration with a broker section is required: ", err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.Broker.Region))
	if err != nil {
		log.Fatal(err)
	}
	findings, err := audit.CheckBroker(ctx, lambda.NewFromConfig(cfg), audit.BrokerProbe(cfg.Credentials, nil), c)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Println(f.Check, f.Subject, f.Got)
	}
}

// CheckHostJoin lists the hosts tagged for joining in one account and
// region and reports those the join association failed on or never
// reached.
func ExampleCheckHostJoin() {
	ctx := context.Background()
	c, err := settings.Load("runas.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-west-1"))
	if err != nil {
		log.Fatal(err)
	}
	findings, err := audit.CheckHostJoin(ctx, ec2.NewFromConfig(cfg), ssm.NewFromConfig(cfg), c)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Println(f.Check, f.Subject, f.Got)
	}
}

// CheckDomainController reads the status of one stack's domain
// controller ("" reads every stack's).
func ExampleCheckDomainController() {
	ctx := context.Background()
	c, err := settings.Load("runas.yaml")
	if err != nil || c.DomainController == nil {
		log.Fatal("a domain-controller configuration is required: ", err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.DomainController.Region))
	if err != nil {
		log.Fatal(err)
	}
	findings, err := audit.CheckDomainController(ctx, ssm.NewFromConfig(cfg), c, audit.DefaultPulumiProject, "prod")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Println(f.Check, f.Subject, f.Want, f.Got)
	}
}
