package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestAuditAndRemediateCommands(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAMOTOTESTING00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	base := srv.Config("eu-west-1")
	f := audit.NewFactory(base, "123456789012", audit.FactoryOptions{})
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}
	org, err := orgseed.Seed(ctx, f, orgseed.Spec{Accounts: 3, Regions: []string{"eu-west-1"}, Prefs: prefs,
		StateOf: func(i int, _ string) orgseed.State { return orgseed.AllStates[i] }})
	if err != nil {
		t.Fatal(err)
	}
	cf := f.CloudFormation("eu-west-1")
	if _, err := cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{StackSetName: aws.String(settings.DefaultStackSetName),
		TemplateBody: aws.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":"ssm-runas-test"}}}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{StackSetName: aws.String(settings.DefaultStackSetName),
		Accounts: org.Accounts, Regions: []string{"eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "runas.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`model: per-user
organization:
  id: %s
  managementAccountId: "%s"
  targets: [%s]
  regions: [eu-west-1]
  managementAccount: {configure: false}
sessionPreferences:
  runAsDefaultUser: ssm-fallback
guardrail: {enabled: false}
`, org.ID, org.ManagementAccount, org.OUs[0])), 0o644)
	common := []string{"--config", cfgPath, "--endpoint-url", srv.URL}

	code, out, errOut := runCLI(t, append([]string{"audit", "--output", "json"}, common...)...)
	if code != 1 {
		t.Fatalf("audit: exit %d, want 1 (findings)\n%s%s", code, out, errOut)
	}
	var rep struct {
		Targets []struct {
			Account, Region, Status string
			Findings                []struct{ Check, Want, Got string }
		}
		Organization, IdentityCenter struct{ Status string }
		Summary                      struct{ Targets, Compliant, Drift, Missing, Errors int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit JSON: %v\n%s", err, out)
	}
	if rep.Summary.Targets != 3 || rep.Summary.Compliant != 1 || rep.Summary.Missing != 1 || rep.Summary.Drift != 1 ||
		rep.IdentityCenter.Status != "skipped" || rep.Organization.Status == "" {
		t.Fatalf("audit summary: %+v\n%s", rep, out)
	}

	code, out, errOut = runCLI(t, append([]string{"remediate"}, common...)...)
	if code != 0 || !strings.Contains(out, "2 to write, 1 unchanged, 0 failed") || !strings.Contains(errOut, "dry run") {
		t.Fatalf("remediate dry run: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`inputs\.runAsEnabled\s+false\s+->\s+true`).MatchString(out) {
		t.Fatalf("the dry run must show the exact change:\n%s", out)
	}
	if code, out, errOut = runCLI(t, append([]string{"remediate", "--apply"}, common...)...); code != 0 {
		t.Fatalf("remediate: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, append([]string{"audit", "--output", "markdown"}, common...)...)
	if code != 0 || !strings.Contains(out, "**3 compliant**") {
		t.Fatalf("audit after remediation: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, append([]string{"remediate", "--apply"}, common...)...); code != 0 || !strings.Contains(out, "0 to write, 3 unchanged") {
		t.Fatalf("second remediation must write nothing: exit %d\n%s", code, out)
	}

	// Bad input is one line and a usage exit.
	for _, args := range [][]string{
		{"audit", "--output", "yaml"},
		{"audit", "--concurrency", "0"},
		{"audit", "--regions", "all"},
	} {
		if code, _, errOut := runCLI(t, append(args, common...)...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line: %s", args, code, errOut)
		}
	}
}
