package sessiondoc_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

func mustParse(t *testing.T, content string) *sessiondoc.Document {
	t.Helper()
	d, err := sessiondoc.Parse([]byte(content))
	require.NoError(t, err)
	return &d
}

func TestDecide(t *testing.T) {
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}
	console := mustParse(t, consoleDocument)
	desired := sessiondoc.Desired(console, prefs)
	// The same content as desired, spelled differently (compact, other key
	// order): still the desired content.
	respelled := mustParse(t, string(desired.Marshal()))
	other := sessiondoc.Desired(console, &sessiondoc.Preferences{RunAsDefaultUser: "ops"})
	withExtra := mustParse(t, `{"schemaVersion":"1.0","description":"Document to hold regional settings for Session Manager",`+
		`"sessionType":"Standard_Stream","parameters":{},"inputs":`+string(mustInputs(t, desired))+`}`)

	tests := []struct {
		name    string
		cur     sessiondoc.Current
		want    sessiondoc.Action
		changes []string
	}{
		{"no document", sessiondoc.Current{}, sessiondoc.Create, nil},
		{"console document", sessiondoc.Current{Default: console}, sessiondoc.Update,
			[]string{"inputs.runAsDefaultUser", "inputs.runAsEnabled"}},
		{"already desired", sessiondoc.Current{Default: respelled}, sessiondoc.Nothing, []string{}},
		{"latest desired but not default", sessiondoc.Current{Default: console, Latest: respelled}, sessiondoc.Promote,
			[]string{"inputs.runAsDefaultUser", "inputs.runAsEnabled"}},
		{"latest is something else", sessiondoc.Current{Default: console, Latest: &other}, sessiondoc.Update,
			[]string{"inputs.runAsDefaultUser", "inputs.runAsEnabled"}},
		{"default desired, latest other", sessiondoc.Current{Default: respelled, Latest: &other}, sessiondoc.Nothing, []string{}},
		{"extra top-level fields are not ours", sessiondoc.Current{Default: withExtra}, sessiondoc.Update, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := sessiondoc.Decide(tc.cur, prefs)
			assert.Equal(t, tc.want, d.Action)
			assert.True(t, d.Desired.Equal(desired) || tc.cur.Default == nil, "desired content: %s", d.Desired.Marshal())
			if tc.changes != nil {
				names := []string{}
				for _, c := range d.Changes {
					names = append(names, c.Input)
				}
				assert.Equal(t, tc.changes, names)
			}
		})
	}
}

func TestDecideCreateListsEveryInput(t *testing.T) {
	d := sessiondoc.Decide(sessiondoc.Current{}, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"})
	require.Equal(t, sessiondoc.Create, d.Action)
	assert.True(t, d.Desired.Equal(sessiondoc.Desired(nil, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"})))
	// Envelope plus the twelve inputs of the baseline.
	assert.Len(t, d.Changes, 2+12)
	assert.Contains(t, d.Changes, sessiondoc.Change{Input: "sessionType", Got: sessiondoc.Absent, Want: sessiondoc.SessionType})
}

func TestDocumentHalfConfigured(t *testing.T) {
	half := mustParse(t, `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"","s3BucketName":"b"}}`)
	require.True(t, half.HalfConfigured())
	off := half.WithRunAsOff()
	assert.False(t, off.HalfConfigured())
	assert.True(t, half.HalfConfigured(), "WithRunAsOff must not change the original")
	on, user := off.RunAs()
	assert.False(t, on)
	assert.Empty(t, user)
	assert.JSONEq(t, `"b"`, string(off.Inputs[sessiondoc.InputS3BucketName]))
}

func mustInputs(t *testing.T, d sessiondoc.Document) []byte {
	t.Helper()
	var b []byte
	for k, v := range d.Inputs {
		if b == nil {
			b = []byte("{")
		} else {
			b = append(b, ',')
		}
		b = append(b, fmt.Sprintf("%q:", k)...)
		b = append(b, v...)
	}
	return append(b, '}')
}

func ExampleDecide() {
	console, _ := sessiondoc.Parse([]byte(`{"schemaVersion":"1.0","sessionType":"Standard_Stream",` +
		`"inputs":{"s3BucketName":"team-bucket","runAsEnabled":false,"runAsDefaultUser":""}}`))
	d := sessiondoc.Decide(sessiondoc.Current{Default: &console}, &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"})
	fmt.Println(d.Action)
	for _, c := range d.Changes {
		fmt.Println(c.Input, c.Got, "->", c.Want)
	}
	// Output:
	// updated
	// inputs.runAsDefaultUser "" -> "ssm-fallback"
	// inputs.runAsEnabled false -> true
}
