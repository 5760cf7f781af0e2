// Command seedorg builds an organization in a running moto_server for the
// audit benchmark (scripts/bench-audit): member accounts in two OUs, each
// account-region's preferences in one of the states orgseed knows, cycling
// so every state is present. It writes an ssm-runas configuration for the
// organization, and the account ids one per line for the baseline loop.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

func main() {
	endpoint := flag.String("endpoint", "", "moto_server URL (required)")
	accounts := flag.Int("accounts", 200, "member accounts")
	regions := flag.String("regions", "eu-west-1,eu-central-1,us-east-1", "regions, comma-separated")
	configOut := flag.String("config", "", "where to write the ssm-runas configuration (required)")
	accountsOut := flag.String("accounts-out", "", "where to write the account ids (required)")
	flag.Parse()
	if *endpoint == "" || *configOut == "" || *accountsOut == "" {
		fmt.Fprintln(os.Stderr, "seedorg: --endpoint, --config and --accounts-out are required")
		os.Exit(2)
	}
	rs := strings.Split(*regions, ",")
	base := aws.Config{
		Region:       rs[0],
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAMOTOTESTING00000", "secret", ""),
		BaseEndpoint: endpoint,
	}
	f := awsorg.NewFactory(base, "123456789012", awsorg.FactoryOptions{AccountRate: 1000})
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback", S3: &sessiondoc.S3Logging{BucketName: "corp-session-logs"}}
	org, err := orgseed.Seed(context.Background(), f, orgseed.Spec{
		Accounts: *accounts, OUs: 2, Regions: rs, Prefs: prefs, Concurrency: 16,
		StateOf: func(i int, region string) orgseed.State {
			for k, r := range rs {
				if r == region {
					return orgseed.AllStates[(i*len(rs)+k)%len(orgseed.AllStates)]
				}
			}
			return orgseed.Compliant
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "seedorg:", err)
		os.Exit(1)
	}
	cfg := fmt.Sprintf(`# Written by internal/tools/seedorg for the audit benchmark.
model: per-user
organization:
  id: %s
  managementAccountId: "%s"
  targets: [%s]
  regions: [%s]
  managementAccount: {configure: false}
  homeRegion: %s
sessionPreferences:
  runAsDefaultUser: ssm-fallback
  s3: {bucketName: corp-session-logs}
guardrail: {enabled: false}
perUser:
  domain:
    name: corp.example.com
    dnsServers: [10.0.0.10]
    joinSecretArn: arn:aws:secretsmanager:%s:%s:secret:ssm-runas/join-AbCdEf
  loginGroups: [Linux-Users]
`, org.ID, org.ManagementAccount, strings.Join(org.OUs, ", "), strings.Join(rs, ", "), rs[0], rs[0], org.ManagementAccount)
	if err := os.WriteFile(*configOut, []byte(cfg), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "seedorg:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*accountsOut, []byte(strings.Join(org.Accounts, "\n")+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "seedorg:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "seeded %d accounts x %d regions in %s\n", len(org.Accounts), len(rs), org.ID)
}
