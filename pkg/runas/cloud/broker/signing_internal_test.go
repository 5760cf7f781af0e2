package broker

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSigningFromHost(t *testing.T) {
	for host, want := range map[string][2]string{
		"abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws": {"eu-west-1", FunctionURLService},
		"a1b2c3d4e5.execute-api.us-gov-west-1.amazonaws.com":           {"us-gov-west-1", APIGatewayService},
		"broker.example.com": {"", FunctionURLService},
		"127.0.0.1":          {"", FunctionURLService},
	} {
		r, s := signingFromHost(host)
		assert.Equal(t, want, [2]string{r, s}, host)
	}
}
