package writerprops_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc/sessiondoctest"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

func fullPreferences() *sessiondoc.Preferences { return sessiondoctest.Full() }

const token = "arn:aws:lambda:eu-west-1:111122223333:function:ssm-runas-prefs-writer"

// asRequest renders properties the way CloudFormation hands them to the
// function: every value a string.
func asRequest(t *testing.T, p writerprops.Properties) json.RawMessage {
	t.Helper()
	p.ServiceToken = token
	if p.ServiceTimeout != nil {
		p.ServiceTimeout = fmt.Sprint(p.ServiceTimeout)
	}
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	return raw
}

func TestRoundTrip(t *testing.T) {
	want := fullPreferences()
	p := writerprops.New(map[string]any{"Fn::GetAtt": []string{"WriterFunction", "Arn"}}, 300, want)
	assert.Equal(t, sessiondoc.DocumentName, p.DocumentName)
	assert.Contains(t, p.Preferences, "cd ~ && exec bash -l", "no HTML escaping of the shell profile")

	req, err := writerprops.Decode(asRequest(t, p))
	require.NoError(t, err)
	assert.Equal(t, token, req.ServiceToken)
	assert.Equal(t, sessiondoc.DocumentName, req.DocumentName)
	assert.Equal(t, want, req.Preferences)
	assert.Equal(t, p.Preferences, writerprops.EncodePreferences(req.Preferences), "round trip changed the payload")
}

func TestDecodeRefuses(t *testing.T) {
	good := writerprops.New(nil, nil, &sessiondoc.Preferences{RunAsDefaultUser: "ops"})
	tests := []struct {
		name   string
		mutate func(p *writerprops.Properties)
		want   string
	}{
		{"root", func(p *writerprops.Properties) { p.Preferences = `{"runAsDefaultUser":"root"}` }, `preferences.runAsDefaultUser "root"`},
		{"unknown field", func(p *writerprops.Properties) { p.Preferences = `{"runAsDefaultUser":"ops","extra":1}` }, "unknown field"},
		{"shell in name", func(p *writerprops.Properties) { p.Preferences = `{"runAsDefaultUser":"$(reboot)"}` }, "runAsDefaultUser"},
		{"not JSON", func(p *writerprops.Properties) { p.Preferences = `not json` }, "parsing preferences"},
		{"trailing data", func(p *writerprops.Properties) { p.Preferences = `{"runAsDefaultUser":"ops"}{}` }, "trailing"},
		{"other document", func(p *writerprops.Properties) { p.DocumentName = "AWS-StartSSHSession" }, "only SSM-SessionManagerRunShell"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := good
			tc.mutate(&p)
			_, err := writerprops.Decode(asRequest(t, p))
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err := writerprops.Decode(json.RawMessage(`{"DocumentName":"SSM-SessionManagerRunShell","Preferences":"{}"}`))
	assert.ErrorContains(t, err, "ServiceToken", "a request without a service token is not from CloudFormation")
	_, err = writerprops.Decode(json.RawMessage(`[]`))
	assert.ErrorContains(t, err, "ResourceProperties")
}

func TestDecodeDeleteNeedsOnlyTheToken(t *testing.T) {
	req, err := writerprops.DecodeDelete(json.RawMessage(`{"ServiceToken":"` + token + `","Preferences":"from an older template"}`))
	require.NoError(t, err)
	assert.Equal(t, token, req.ServiceToken)
	assert.Nil(t, req.Preferences)
}

func ExampleDecode() {
	props := `{"ServiceToken":"arn:aws:lambda:eu-west-1:111122223333:function:ssm-runas-prefs-writer",` +
		`"ServiceTimeout":"300","DocumentName":"SSM-SessionManagerRunShell",` +
		`"Preferences":"{\"runAsDefaultUser\":\"ssm-fallback\",\"idleSessionTimeoutMinutes\":15}"}`
	req, err := writerprops.Decode(json.RawMessage(props))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Preferences.RunAsDefaultUser, *req.Preferences.IdleSessionTimeoutMinutes)
	// Output: ssm-fallback 15
}
