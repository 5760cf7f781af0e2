package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
)

// TestDeploymentMatchesTheFunction: the stack sets the variable the
// function reads, and builds this very package (the function links no
// Pulumi, so the names are kept in both places and checked here).
func TestDeploymentMatchesTheFunction(t *testing.T) {
	assert.Equal(t, RulesEnv, runas.BrokerRulesEnv)
	assert.Equal(t, "./cmd/ssm-runas-broker", artifact.Broker.Package)
}
