package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestStackSetTemplatePassesCfnLint(t *testing.T) {
	code, out, errOut := runCLI(t, "stackset", "template", "--config", example)
	require.Equal(t, 0, code, errOut)
	c, err := settings.Load(example)
	require.NoError(t, err)
	tpl, err := member.Template(c)
	require.NoError(t, err)
	assert.Equal(t, string(tpl.JSON()), out, "the command must print the builder's template unchanged")
	testtools.CfnLint(t, []byte(out))
}

func TestStackSetTemplateRefusesBadConfig(t *testing.T) {
	code, out, errOut := runCLI(t, "stackset", "template", "--config", "does-not-exist.yaml")
	assert.NotEqual(t, 0, code)
	assert.Empty(t, out, "nothing may be printed on bad input")
	assert.NotEmpty(t, errOut)
}

type planRow struct {
	Type, Name, Parent, Provider string
	Inputs                       map[string]any
}
