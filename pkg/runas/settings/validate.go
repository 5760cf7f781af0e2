package settings

import (
	"fmt"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

// Validate checks the whole configuration and returns every problem as a
// field.List, or nil.
func (c *Config) Validate() error {
	var errs field.List
	switch c.Model {
	case ModelPerRole, ModelPerUser, ModelDomainController:
	case "":
		errs.Add(field.Required("model", fmt.Sprintf("is required: one of %s", modelNames())))
	default:
		errs.Add(field.Invalid("model", c.Model, fmt.Sprintf("must be one of %s", modelNames())))
	}
	errs.Extend(c.Organization.validate("organization"))
	errs.Extend(c.SessionPreferences.Validate("sessionPreferences"))
	errs.Extend(c.Guardrail.validate("guardrail"))
	errs.Extend(c.validateIdentity())
	errs.Extend(c.validateEntra())
	errs.Extend(c.validatePerUser())
	errs.Extend(c.validateDomainController())
	errs.Extend(c.validateBroker())
	errs.Extend(c.validateAdopt())
	return errs.Err()
}

func modelNames() string {
	names := make([]string, len(Models))
	for i, m := range Models {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}
