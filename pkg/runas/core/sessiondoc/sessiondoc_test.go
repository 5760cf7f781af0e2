package sessiondoc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

func ptr[T any](v T) *T { return &v }

func fullPreferences() *sessiondoc.Preferences {
	return &sessiondoc.Preferences{
		RunAsDefaultUser:          "ssm-fallback",
		IdleSessionTimeoutMinutes: ptr(15),
		MaxSessionDurationMinutes: ptr(480),
		S3:                        &sessiondoc.S3Logging{BucketName: "corp-session-logs", KeyPrefix: "ssm/"},
		CloudWatch:                &sessiondoc.CloudWatchLogging{LogGroupName: "/corp/ssm/sessions", StreamingEnabled: ptr(false)},
		KMSKeyID:                  ptr("alias/ssm-sessions"),
		ShellProfile:              &sessiondoc.ShellProfile{Linux: "cd ~ && exec bash -l"},
	}
}

func TestApply(t *testing.T) {
	// A document saved in the console by hand: its own logging settings, Run As off.
	console := []byte(`{
  "schemaVersion": "1.0",
  "description": "Document to hold regional settings for Session Manager",
  "sessionType": "Standard_Stream",
  "inputs": {
    "s3BucketName": "team-bucket", "s3KeyPrefix": "x", "s3EncryptionEnabled": true,
    "cloudWatchLogGroupName": "team-logs", "cloudWatchEncryptionEnabled": false, "cloudWatchStreamingEnabled": true,
    "idleSessionTimeout": "20", "maxSessionDuration": "", "kmsKeyId": "",
    "runAsEnabled": false, "runAsDefaultUser": "", "shellProfile": {"windows": "", "linux": ""},
    "futureInput": {"kept": true}
  }
}`)
	tests := []struct {
		name     string
		existing []byte
		prefs    *sessiondoc.Preferences
	}{
		{"absent_minimal", nil, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}},
		{"absent_full", nil, fullPreferences()},
		{"console_minimal_keeps_logging", console, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}},
		{"console_full_overrides", console, fullPreferences()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sessiondoc.Apply(tc.existing, tc.prefs)
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, "document.json", got)
			// Applying twice changes nothing: the writer relies on this to
			// recognise a document that is already right.
			again, err := sessiondoc.Apply(got, tc.prefs)
			if err != nil {
				t.Fatal(err)
			}
			if !sessiondoc.Equal(got, again) {
				t.Fatalf("Apply is not idempotent:\n%s\n%s", got, again)
			}
		})
	}
}

func TestApplyKeepsUnmanagedInputs(t *testing.T) {
	existing := []byte(`{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"s3BucketName":"team-bucket","cloudWatchLogGroupName":"team-logs","runAsEnabled":false}}`)
	got, err := sessiondoc.Apply(existing, &sessiondoc.Preferences{RunAsDefaultUser: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := sessiondoc.Diff(existing, got)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range changes {
		names = append(names, c.Input)
	}
	// Only the managed inputs (and the console's description) differ.
	if want := "inputs.runAsDefaultUser,inputs.runAsEnabled"; strings.Join(names, ",") != want {
		t.Fatalf("changed inputs = %v, want %s", names, want)
	}
}

func TestApplyRejectsMalformedExisting(t *testing.T) {
	if _, err := sessiondoc.Apply([]byte(`{"inputs":`), &sessiondoc.Preferences{RunAsDefaultUser: "ops"}); err == nil {
		t.Fatal("expected an error for a malformed document")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		prefs *sessiondoc.Preferences
		want  []string
	}{
		{"valid full", fullPreferences(), nil},
		{"nil", nil, []string{"p: is required"}},
		{"missing user", &sessiondoc.Preferences{}, []string{`p.runAsDefaultUser: is required`}},
		{"root", &sessiondoc.Preferences{RunAsDefaultUser: "root"}, []string{`p.runAsDefaultUser "root": root is not allowed`}},
		{"bad user", &sessiondoc.Preferences{RunAsDefaultUser: "Admin!"}, []string{`p.runAsDefaultUser "Admin!": must match`}},
		{"idle 0", &sessiondoc.Preferences{RunAsDefaultUser: "a", IdleSessionTimeoutMinutes: ptr(0)},
			[]string{`p.idleSessionTimeoutMinutes "0": must be between 1 and 60 minutes`}},
		{"idle 61", &sessiondoc.Preferences{RunAsDefaultUser: "a", IdleSessionTimeoutMinutes: ptr(61)},
			[]string{`p.idleSessionTimeoutMinutes "61"`}},
		{"max 1441", &sessiondoc.Preferences{RunAsDefaultUser: "a", MaxSessionDurationMinutes: ptr(1441)},
			[]string{`p.maxSessionDurationMinutes "1441": must be between 1 and 1440 minutes`}},
		{"bucket", &sessiondoc.Preferences{RunAsDefaultUser: "a", S3: &sessiondoc.S3Logging{BucketName: "Bad_Bucket"}},
			[]string{`p.s3.bucketName "Bad_Bucket"`}},
		{"prefix without bucket", &sessiondoc.Preferences{RunAsDefaultUser: "a", S3: &sessiondoc.S3Logging{KeyPrefix: "x"}},
			[]string{`p.s3.keyPrefix "x": needs s3.bucketName`}},
		{"log group", &sessiondoc.Preferences{RunAsDefaultUser: "a", CloudWatch: &sessiondoc.CloudWatchLogging{LogGroupName: "bad group"}},
			[]string{`p.cloudWatch.logGroupName "bad group"`}},
		{"kms", &sessiondoc.Preferences{RunAsDefaultUser: "a", KMSKeyID: ptr("not-a-key")}, []string{`p.kmsKeyId "not-a-key"`}},
		{"kms arn", &sessiondoc.Preferences{RunAsDefaultUser: "a", KMSKeyID: ptr("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")}, nil},
		{"several at once", &sessiondoc.Preferences{RunAsDefaultUser: "-x", IdleSessionTimeoutMinutes: ptr(0), MaxSessionDurationMinutes: ptr(0)},
			[]string{"p.runAsDefaultUser", "p.idleSessionTimeoutMinutes", "p.maxSessionDurationMinutes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.prefs.Validate("p")
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(tc.want), errs)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("problem %d = %q, want prefix %q", i, errs[i].Error(), w)
				}
			}
		})
	}
}

func TestParsePreferencesRoundTrip(t *testing.T) {
	want := fullPreferences()
	got, err := sessiondoc.ParsePreferences(want.ManagedInputsJSON())
	if err != nil {
		t.Fatal(err)
	}
	if got.ManagedInputsJSON() != want.ManagedInputsJSON() {
		t.Fatalf("round trip changed the payload:\n%s\n%s", got.ManagedInputsJSON(), want.ManagedInputsJSON())
	}
	for _, bad := range []string{
		`{"runAsDefaultUser":"root"}`,
		`{"runAsDefaultUser":"ops","extra":1}`,
		`{"runAsDefaultUser":"$(reboot)"}`,
		`not json`,
	} {
		if _, err := sessiondoc.ParsePreferences(bad); err == nil {
			t.Errorf("ParsePreferences(%s) accepted a bad payload", bad)
		}
	}
}

func ExampleApply() {
	doc, _ := sessiondoc.Apply(nil, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"})
	changes, _ := sessiondoc.Diff(nil, doc)
	for _, c := range changes {
		if strings.HasPrefix(c.Input, "inputs.runAs") {
			fmt.Println(c.Input, c.Want)
		}
	}
	// Output:
	// inputs.runAsDefaultUser "ssm-fallback"
	// inputs.runAsEnabled true
}
