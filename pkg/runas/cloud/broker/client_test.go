package broker_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/brokertest"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

func TestRequestSessionAndProbe(t *testing.T) {
	f := newFixture(t)
	org := org
	alice := aws.Credentials{AccessKeyID: "ASIAALICE", SecretAccessKey: "alice-secret", SessionToken: "tok"}
	url := brokertest.NewFunctionURL(t, f.broker, region, brokertest.Principal{
		Credentials: alice, AccountID: member, PrincipalOrgID: &org,
		ARN: "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com",
	})
	opts := broker.ClientOptions{URL: url.URL, SigningRegion: region, Credentials: credentials.StaticCredentialsProvider{Value: alice}}
	ctx := motoserver.Context(t)

	require.NoError(t, broker.Probe(ctx, opts))
	assert.Empty(t, f.ssm.Calls(), "a probe starts no session")

	s, err := broker.RequestSession(ctx, opts, rules.Request{Target: instance, Region: region})
	require.NoError(t, err)
	assert.Equal(t, "admin", s.LinuxUser)
	assert.Len(t, f.ssm.Calls(), 1)

	_, err = broker.RequestSession(ctx, opts, rules.Request{Target: instance, Region: "us-east-1"})
	var refused *broker.RefusedError
	require.ErrorAs(t, err, &refused)
	assert.Equal(t, 403, refused.Status)
	assert.Contains(t, refused.Reason, "no preferences document")

	wrong := opts
	wrong.Credentials = credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: "ASIAALICE", SecretAccessKey: "not-hers"}}
	err = broker.Probe(ctx, wrong)
	require.ErrorIs(t, err, broker.ErrUnreachable)
	assert.Contains(t, err.Error(), "HTTP 403")
	_, err = broker.RequestSession(ctx, wrong, rules.Request{Target: instance, Region: region})
	require.ErrorAs(t, err, &refused)
	assert.Contains(t, refused.Reason, "signature we calculated does not match")

	noRegion := opts
	noRegion.SigningRegion = ""
	_, err = broker.RequestSession(ctx, noRegion, rules.Request{Target: instance, Region: region})
	assert.ErrorContains(t, err, "cannot tell its region from the host name")
}
