package settings_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBrokerZipPathIsRelativeToTheGivenDirectory(t *testing.T) {
	c, err := withBroker(t, brokerSection+"  zipPath: build/broker.zip\n")
	require.NoError(t, err)
	assert.Equal(t, "build/broker.zip", c.Broker.ZipPath)
	assert.Equal(t, filepath.Join("/proj", "build/broker.zip"), c.Broker.ZipPathFrom("/proj"))

	c.Broker.ZipPath = "/abs/broker.zip"
	assert.Equal(t, "/abs/broker.zip", c.Broker.ZipPathFrom("/proj"))
	c.Broker.ZipPath = ""
	assert.Empty(t, c.Broker.ZipPathFrom("/proj"))
}
