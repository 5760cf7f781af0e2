package settings

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/field"

// PerUser is the `perUser` section. Its fields, defaults and rules are added with
// the model that reads it.
type PerUser struct{}

func (c *Config) applyPerUserDefaults() {}

func (c *Config) validatePerUser() field.List { return nil }
