package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
)

// TestDeploymentBuildsThisPackage: the stack builds the broker's zip from
// this very package. (The variable the function reads and the one the
// stack sets are one constant, rules.EnvVar.)
func TestDeploymentBuildsThisPackage(t *testing.T) {
	assert.Equal(t, "./cmd/ssm-runas-broker", artifact.Broker.Package)
}
