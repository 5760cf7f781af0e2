package audit_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	idsdocument "github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	idstypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
)

// moto's identity store returns no extensions, so the enterprise path is
// checked here on the SDK's own types.
func TestAttributeValue(t *testing.T) {
	u := idstypes.User{
		UserName: aws.String("alice"),
		Title:    aws.String("Engineer"),
		Extensions: map[string]idsdocument.Interface{
			audit.EnterpriseExtension: idsdocument.NewLazyDocument(map[string]any{"costCenter": "developer", "employeeNumber": "4711"}),
		},
	}
	tests := []struct{ source, want string }{
		{"${path:enterprise.costCenter}", "developer"},
		{"${path:enterprise.employeeNumber}", "4711"},
		{"${path:enterprise.department}", ""},
		{"${path:title}", "Engineer"},
		{"${path:userName}", "alice"},
	}
	for _, tc := range tests {
		got, err := audit.AttributeValue(u, tc.source)
		require.NoError(t, err, tc.source)
		assert.Equal(t, tc.want, got, tc.source)
	}
	got, err := audit.AttributeValue(idstypes.User{UserName: aws.String("bob")}, "${path:enterprise.costCenter}")
	require.NoError(t, err)
	assert.Empty(t, got, "a user without extensions holds no value")
	_, err = audit.AttributeValue(u, "${path:addresses.primary.country}")
	assert.Error(t, err, "an unreadable path must be an error, not an empty value")
}
