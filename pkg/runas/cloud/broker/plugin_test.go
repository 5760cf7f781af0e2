package broker_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
)

// The version rule of the AWS CLI: only a well-formed version above
// 1.2.497.0 gets the response through the environment.
func TestPluginVersionPicksTheArgumentForm(t *testing.T) {
	s := broker.Session{SessionID: "s-1", StreamURL: "wss://x/?a=1&b=2", TokenValue: "t/+="}
	for version, env := range map[string]bool{
		"1.2.707.0": true, "1.2.497.1": true, "1.2.498": true, "2": true, " 1.2.707.0\n": true,
		"1.2.497.0": false, "1.2.497": false, "1.2.331.0": false, "garbage": false, "": false, "1.2.3.4.5": false,
	} {
		inv := broker.NewPluginInvocation(version, s, "eu-west-1", "", broker.StartSessionParameters{Target: "i-0123456789abcdef0"}, "https://ssm.eu-west-1.amazonaws.com")
		require.Len(t, inv.Args, 6, version)
		if env {
			assert.Equal(t, broker.PluginResponseEnv, inv.Args[0], version)
			require.Len(t, inv.Env, 1)
			assert.Equal(t, broker.PluginResponseEnv+`={"SessionId": "s-1", "TokenValue": "t/+=", "StreamUrl": "wss://x/?a=1&b=2"}`, inv.Env[0])
		} else {
			assert.Equal(t, `{"SessionId": "s-1", "TokenValue": "t/+=", "StreamUrl": "wss://x/?a=1&b=2"}`, inv.Args[0], version)
			assert.Empty(t, inv.Env, version)
		}
	}
}

func TestPluginParametersAreJSONAsPythonWritesIt(t *testing.T) {
	inv := broker.NewPluginInvocation("1.2.707.0", broker.Session{}, "eu-west-1", "p", broker.StartSessionParameters{
		Target: "i-0123456789abcdef0", DocumentName: "AWS-StartPortForwardingSession", Reason: "naïve 🙂 <ok>",
		Parameters: map[string][]string{"portNumber": {"22"}, "localPortNumber": {"2222"}},
	}, "https://ssm.eu-west-1.amazonaws.com")
	got := inv.Args[4]
	assert.Equal(t, `{"Target": "i-0123456789abcdef0", "DocumentName": "AWS-StartPortForwardingSession", "Reason": "na\u00efve \ud83d\ude42 <ok>", "Parameters": {"localPortNumber": ["2222"], "portNumber": ["22"]}}`, got)
	var back map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &back))
	assert.Equal(t, "naïve 🙂 <ok>", back["Reason"])
}

func TestSSMEndpoint(t *testing.T) {
	assert.Equal(t, "https://ssm.eu-west-1.amazonaws.com", broker.SSMEndpoint("eu-west-1"))
	assert.Equal(t, "https://ssm.cn-north-1.amazonaws.com.cn", broker.SSMEndpoint("cn-north-1"))
}
