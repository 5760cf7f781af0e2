package ssmprefs_test

import (
	"context"
	"fmt"
	"log"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// A dry run shows what the writer would do in the account and region of
// the default credentials, input by input; without DryRun it writes.
func ExampleUpsert() {
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}
	res, err := ssmprefs.Upsert(context.Background(), ssm.NewFromConfig(cfg), sessiondoc.DocumentName, prefs,
		ssmprefs.Options{DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Outcome)
	for _, c := range res.Changes {
		fmt.Println(c.Input, c.Got, "->", c.Want)
	}
}

// The audit's view of the same rule: read once, decide, report.
func ExampleState_Decide() {
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	st, err := ssmprefs.Read(context.Background(), ssm.NewFromConfig(cfg), sessiondoc.DocumentName)
	if err != nil {
		log.Fatal(err)
	}
	d, err := st.Decide(&sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"})
	if err != nil {
		log.Fatal(err) // a version that is not a session document
	}
	fmt.Println(d.Action, len(d.Changes))
}
