package sessiondoc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc/sessiondoctest"
)

func ptr[T any](v T) *T { return &v }

func fullPreferences() *sessiondoc.Preferences { return sessiondoctest.Full() }

// consoleDocument is a document saved in the console by hand: its own
// logging settings, Run As off, and an input this project does not know.
const consoleDocument = `{
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
}`

// TestApply renders the desired document (golden files) for each starting
// point; the name stays for the golden files' sake.
func TestApply(t *testing.T) {
	console := mustParse(t, consoleDocument)
	tests := []struct {
		name     string
		existing *sessiondoc.Document
		prefs    *sessiondoc.Preferences
	}{
		{"absent_minimal", nil, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}},
		{"absent_full", nil, fullPreferences()},
		{"console_minimal_keeps_logging", console, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}},
		{"console_full_overrides", console, fullPreferences()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sessiondoc.Desired(tc.existing, tc.prefs)
			golden.JSON(t, "document.json", got.Marshal())
			// Applying twice changes nothing: the writer relies on this to
			// recognise a document that is already right.
			again := sessiondoc.Desired(&got, tc.prefs)
			assert.True(t, got.Equal(again), "Desired is not idempotent:\n%s\n%s", got.Marshal(), again.Marshal())
			// A round trip through the stored form keeps the content.
			back, err := sessiondoc.Parse(got.Marshal())
			require.NoError(t, err)
			assert.True(t, got.Equal(back))
		})
	}
}

func TestDesiredDoesNotChangeCurrent(t *testing.T) {
	console := mustParse(t, consoleDocument)
	before := console.Marshal()
	_ = sessiondoc.Desired(console, fullPreferences())
	assert.JSONEq(t, string(before), string(console.Marshal()))
}

func TestApplyKeepsUnmanagedInputs(t *testing.T) {
	existing := mustParse(t, `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"s3BucketName":"team-bucket","cloudWatchLogGroupName":"team-logs","runAsEnabled":false}}`)
	got := sessiondoc.Desired(existing, &sessiondoc.Preferences{RunAsDefaultUser: "ops"})
	var names []string
	for _, c := range sessiondoc.Changes(existing, got) {
		names = append(names, c.Input)
	}
	// Only the managed inputs differ.
	assert.Equal(t, []string{"inputs.runAsDefaultUser", "inputs.runAsEnabled"}, names)
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, bad := range []string{`{"inputs":`, `[]`, `{"inputs":[1]}`, `{"schemaVersion":1}`} {
		_, err := sessiondoc.Parse([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestEqualIgnoresSpellingOnly(t *testing.T) {
	a := mustParse(t, `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"a":1,"b":{"x":true,"y":""}}}`)
	b := mustParse(t, "{\n \"inputs\": {\"b\": {\"y\": \"\", \"x\": true}, \"a\": 1.0},\n \"sessionType\": \"Standard_Stream\", \"schemaVersion\": \"1.0\"}")
	assert.True(t, a.Equal(*b))
	for _, other := range []string{
		`{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"a":2,"b":{"x":true,"y":""}}}`,
		`{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"a":1}}`,
		`{"schemaVersion":"1.0","sessionType":"Port","inputs":{"a":1,"b":{"x":true,"y":""}}}`,
		`{"schemaVersion":"1.0","description":"d","sessionType":"Standard_Stream","inputs":{"a":1,"b":{"x":true,"y":""}}}`,
		`{"schemaVersion":"1.0","sessionType":"Standard_Stream","parameters":{},"inputs":{"a":1,"b":{"x":true,"y":""}}}`,
	} {
		assert.False(t, a.Equal(*mustParse(t, other)), other)
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
			require.Len(t, errs, len(tc.want), "problems: %v", errs)
			for i, w := range tc.want {
				assert.True(t, strings.HasPrefix(errs[i].Error(), w), "problem %d = %q, want prefix %q", i, errs[i].Error(), w)
			}
		})
	}
}

func ExampleDesired() {
	doc := sessiondoc.Desired(nil, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"})
	for _, c := range sessiondoc.Changes(nil, doc) {
		if strings.HasPrefix(c.Input, "inputs.runAs") {
			fmt.Println(c.Input, c.Want)
		}
	}
	// Output:
	// inputs.runAsDefaultUser "ssm-fallback"
	// inputs.runAsEnabled true
}
