package settings

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/field"

// Adopt is the `adopt` section. Its fields, defaults and rules are added
// with the first deployment work that reads them.
type Adopt struct{}

func (c *Config) applyAdoptDefaults() {}

func (c *Config) validateAdopt() field.List { return nil }
