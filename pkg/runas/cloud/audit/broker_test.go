package audit_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/orgseed"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/brokertest"
)

// motoAccount is the account moto's static credentials act in.
const motoAccount = "123456789012"

// toLocal sends requests for the function URLs moto hands out
// (https://<id>.lambda-url.<region>.on.aws, which nothing serves) to the
// local function URLs standing in for them, keeping the Host header the
// request was signed for.
type toLocal map[string]string

func (m toLocal) RoundTrip(r *http.Request) (*http.Response, error) {
	local, ok := m[r.URL.Host]
	if !ok {
		return http.DefaultTransport.RoundTrip(r)
	}
	u, err := url.Parse(local)
	if err != nil {
		return nil, err
	}
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
	out.Host = r.URL.Host
	return http.DefaultTransport.RoundTrip(out)
}

// TestBrokerAgainstMoto reads broker functions from moto's Lambda (the
// function and its URL configuration, as the stack creates them) and
// probes their URLs, which moto does not serve, through local function
// URLs (brokertest) that check the SigV4 signature and hand the request to
// the real broker handler, as AWS does.
func TestBrokerAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	const region = "eu-west-1"
	base := srv.Config(region)
	org := orgseed.Org{ID: "o-a1b2c3d4e5", ManagementAccount: motoAccount, OUs: []string{"ou-a1b2-workloads1", "ou-a1b2-sandboxes1"}}
	c := exampleFor(t, "../../../../examples/per-role/runas.yaml", org, []string{region}, brokerYAML)
	require.Equal(t, region, c.Broker.Region)

	fnRole, err := iam.NewFromConfig(base).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("broker-execution"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	w, err := zw.Create("bootstrap")
	require.NoError(t, err)
	_, err = w.Write([]byte("#!/bin/sh\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	lam := lambda.NewFromConfig(base)
	urls := map[string]string{}
	for name, auth := range map[string]lambdatypes.FunctionUrlAuthType{
		"broker-ok": lambdatypes.FunctionUrlAuthTypeAwsIam, "broker-mute": lambdatypes.FunctionUrlAuthTypeAwsIam,
		"broker-open": lambdatypes.FunctionUrlAuthTypeNone, "broker-no-url": "",
	} {
		_, err := lam.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: fnRole.Role.Arn,
			Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code.Bytes()}})
		require.NoError(t, err, name)
		if auth == "" {
			continue
		}
		out, err := lam.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: auth})
		require.NoError(t, err, name)
		urls[name] = aws.ToString(out.FunctionUrl)
	}

	// The broker behind the good URL knows the audit's credentials as a
	// principal of the organization; the one behind broker-mute knows no
	// one, as a URL whose resource policy admits nobody.
	b, err := broker.New(c.BrokerRules(), sts.NewFromConfig(base), (&brokertest.SessionManager{}).Client, broker.Options{})
	require.NoError(t, err)
	creds, err := base.Credentials.Retrieve(ctx)
	require.NoError(t, err)
	orgID := c.Organization.ID
	good := brokertest.NewFunctionURL(t, b, region, brokertest.Principal{Credentials: creds, AccountID: motoAccount,
		ARN: "arn:aws:iam::" + motoAccount + ":user/auditor", UserID: "AIDAAUDITOR", PrincipalOrgID: &orgID})
	mute := brokertest.NewFunctionURL(t, b, region)
	hc := &http.Client{Transport: toLocal{host(t, urls["broker-ok"]): good.URL, host(t, urls["broker-mute"]): mute.URL}}
	probe := audit.BrokerProbe(base.Credentials, hc)

	tests := []struct {
		function string
		want     []string // check subject
		got      string
	}{
		{"broker-ok", nil, ""},
		{"broker-absent", []string{audit.CheckBrokerFunctionMissing + " arn:aws:lambda:" + region + ":" + motoAccount + ":function:broker-absent"}, "none"},
		{"broker-no-url", []string{audit.CheckBrokerURL + " arn:aws:lambda:" + region + ":" + motoAccount + ":function:broker-no-url"}, "no function URL"},
		{"broker-open", []string{audit.CheckBrokerURL + " " + urls["broker-open"]}, "AuthType NONE"},
		{"broker-mute", []string{audit.CheckBrokerUnreachable + " " + urls["broker-mute"]}, "HTTP 403"},
	}
	for _, tc := range tests {
		t.Run(tc.function, func(t *testing.T) {
			cc := *c
			bb := *c.Broker
			bb.FunctionName = tc.function
			cc.Broker = &bb
			got, err := audit.CheckBroker(ctx, lam, probe, &cc)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, subjects(got), findings(got))
			for _, f := range got {
				assert.Contains(t, f.Got, tc.got)
				assert.NotEmpty(t, f.Want)
			}
		})
	}
	assert.Len(t, good.Events(), 1, "one probe reached the broker behind the good URL")
	for _, ev := range good.Events() {
		assert.Equal(t, http.MethodGet, ev.RequestContext.HTTP.Method, "the probe asks for no session")
	}

	// Without a broker section nothing is read.
	cc := *c
	cc.Broker = nil
	got, err := audit.CheckBroker(ctx, nil, nil, &cc)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func host(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	require.NotEmpty(t, u.Host, raw)
	return u.Host
}
