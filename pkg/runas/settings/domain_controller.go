package settings

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/field"

// DomainController is the `domainController` section. Its fields, defaults and rules are added with
// the model that reads it.
type DomainController struct{}

func (c *Config) applyDomainControllerDefaults() {}

func (c *Config) validateDomainController() field.List { return nil }
