package psparse

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMissingParserSaysHowToInstall(t *testing.T) {
	err := checkDir(t.TempDir())
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrNotInstalled))
	assert.Contains(t, err.Error(), "cd tests/psparse && npm ci")
}

func TestParseFindsErrorsAndLiterals(t *testing.T) {
	good := []byte("$ErrorActionPreference = 'Stop'\n$name = 'it''s'\nWrite-Output \"hello $name\"\n")
	broken := []byte("if ($x -eq 1 {\n  Write-Output 'x'\n")
	res, err := Parse(context.Background(), good, broken)
	require.NoError(t, err)
	require.Len(t, res, 2)

	assert.Empty(t, res[0].Problems)
	assert.Equal(t, []string{"Stop", "it's"}, res[0].VerbatimStrings)
	assert.True(t, res[0].Literal("it's"))
	assert.False(t, res[0].Literal("it"))
	assert.Equal(t, []string{`"hello $name"`}, res[0].ExpandableStrings)
	assert.Contains(t, res[0].Variables, "$name")

	assert.NotEmpty(t, res[1].Problems, "an unclosed if must not parse")
	assert.NotEmpty(t, res[1].Clean())
}
