package settings

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/field"

// Broker is the `broker` section. Its fields, defaults and rules are added with
// the model that reads it.
type Broker struct{}

func (c *Config) applyBrokerDefaults() {}

func (c *Config) validateBroker() field.List { return nil }
