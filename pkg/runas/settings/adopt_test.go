package settings_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// The adopt section, the home region rule and writer paths (adopt.go,
// organization.go).

const entraSection = `
entra:
  tenantId: 61318f71-9c58-4f75-b8af-329e649fcd80
  identifierUri: https://eu-west-1.signin.aws/platform/saml/d-1234567890
  acsUrls: [https://eu-west-1.signin.aws/platform/saml/acs/7d2c5f4e]
  scim: {endpoint: https://scim.eu-west-1.amazonaws.com/a1b2c3d4e5f6/scim/v2}
`

func TestAdopt(t *testing.T) {
	ok := minimal + entraSection + `
adopt:
  accessControlAttributes: true
  entraApplication:
    applicationObjectId: 11111111-1111-1111-1111-111111111111
    servicePrincipalObjectId: 22222222-2222-2222-2222-222222222222
    synchronizationJobId: aWSSingleSignon.f5532fc709734b1a90e8a1fa9fd03a82.8442fd39-2183-419c-8732-74b6ce866bd5
`
	c, err := settings.Parse([]byte(ok))
	require.NoError(t, err)
	assert.True(t, c.Adopt.AccessControlAttributes)
	assert.Equal(t, "22222222-2222-2222-2222-222222222222", c.Adopt.EntraApplication.ServicePrincipalObjectID)

	tests := []struct{ name, src, want string }{
		{"application without entra", minimal + "adopt:\n  entraApplication: {applicationObjectId: 11111111-1111-1111-1111-111111111111, servicePrincipalObjectId: 22222222-2222-2222-2222-222222222222}\n",
			"adopt.entraApplication: needs the entra section"},
		{"object id not a GUID", minimal + entraSection + "adopt:\n  entraApplication: {applicationObjectId: app, servicePrincipalObjectId: 22222222-2222-2222-2222-222222222222}\n",
			`adopt.entraApplication.applicationObjectId "app": must be the application's object id, a GUID`},
		{"job id", minimal + entraSection + "adopt:\n  entraApplication: {applicationObjectId: 11111111-1111-1111-1111-111111111111, servicePrincipalObjectId: 22222222-2222-2222-2222-222222222222, synchronizationJobId: job}\n",
			`adopt.entraApplication.synchronizationJobId "job"`},
		{"unknown field", minimal + "adopt:\n  stackSet: true\n", "adopt.stackSet: unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := settings.Parse([]byte(tc.src))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestHomeRegion(t *testing.T) {
	one, err := settings.Parse([]byte(minimal))
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", one.Organization.HomeRegion, "one region is its own home")

	several := strings.Replace(minimal, "regions: [eu-west-1]", "regions: [us-east-1, eu-west-1]", 1)
	_, err = settings.Parse([]byte(several))
	assert.ErrorContains(t, err, "organization.homeRegion: is required with several regions", "the home region is never taken from the order of the list")

	c, err := settings.Parse([]byte(strings.Replace(several, "regions: [us-east-1, eu-west-1]", "regions: [us-east-1, eu-west-1]\n  homeRegion: eu-west-1", 1)))
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", c.Organization.HomeRegion)
}

func TestWriterZipPathFrom(t *testing.T) {
	assert.Equal(t, "", settings.Writer{}.ZipPathFrom("/etc/runas"))
	assert.Equal(t, "/etc/runas/build/writer.zip", settings.Writer{ZipPath: "build/writer.zip"}.ZipPathFrom("/etc/runas"))
	assert.Equal(t, "/opt/writer.zip", settings.Writer{ZipPath: "/opt/writer.zip"}.ZipPathFrom("/etc/runas"))
}
