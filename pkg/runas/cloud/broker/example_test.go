package broker_test

import (
	"encoding/json"
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
)

func ExampleNewPluginInvocation() {
	s := broker.Session{SessionID: "alice@example.com-0a1b2c3d4e5f67890", StreamURL: "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice@example.com-0a1b2c3d4e5f67890?role=publish_subscribe", TokenValue: "AAEAAExampleToken"}
	inv := broker.NewPluginInvocation("1.2.707.0", s, "eu-west-1", "dev-admin",
		broker.StartSessionParameters{Target: "i-0123456789abcdef0"}, broker.SSMEndpoint("eu-west-1"))
	for _, a := range inv.Args {
		fmt.Println(a)
	}
	fmt.Println(inv.Env[0][:len(broker.PluginResponseEnv)+1] + "...")
	// Output:
	// AWS_SSM_START_SESSION_RESPONSE
	// eu-west-1
	// StartSession
	// dev-admin
	// {"Target": "i-0123456789abcdef0"}
	// https://ssm.eu-west-1.amazonaws.com
	// AWS_SSM_START_SESSION_RESPONSE=...
}

func ExampleEvent_Caller() {
	var ev broker.Event
	_ = json.Unmarshal([]byte(`{"version":"2.0","requestContext":{"authorizer":{"iam":{
		"accountId":"222222222222","principalOrgId":"o-a1b2c3d4e5",
		"userArn":"arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com"}}},
		"body":"{\"target\":\"i-0123456789abcdef0\",\"region\":\"eu-west-1\"}"}`), &ev)
	c, err := ev.Caller()
	fmt.Println(c.ARN, c.PrincipalOrgID, err)
	// Output: arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com o-a1b2c3d4e5 <nil>
}
