package dcbootstrap_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
)

func TestStatusParameterName(t *testing.T) {
	name := dcbootstrap.StatusParameterName("ssm-runas", "prod")
	assert.Equal(t, "/runas/ssm-runas/prod/domain-controller/status", name)
	assert.Equal(t, "/runas/ssm-runas/", dcbootstrap.StatusParameterPrefix("ssm-runas"))

	stack, ok := dcbootstrap.StatusParameterStack("ssm-runas", name)
	assert.True(t, ok)
	assert.Equal(t, "prod", stack, "the name gives back its stack")
	for _, other := range []string{
		"/runas/other/prod/domain-controller/status",      // another project
		"/runas/ssm-runas/domain-controller/status",       // no stack
		"/runas/ssm-runas/a/b/domain-controller/status",   // deeper path
		"/runas/ssm-runas/prod/domain-controller/status2", // another parameter
		"/runas/ssm-runas/prod/other",
	} {
		_, ok := dcbootstrap.StatusParameterStack("ssm-runas", other)
		assert.False(t, ok, other)
	}
}
