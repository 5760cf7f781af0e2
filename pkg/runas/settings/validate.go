package settings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
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
	errs.Extend(c.validateRegions())
	errs.Extend(c.SessionPreferences.Validate("sessionPreferences"))
	if u := c.SessionPreferences.RunAsDefaultUser; username.Validate(u) == nil && slices.Contains(c.Guardrail.ReservedUsers, u) {
		errs.Add(field.Invalid("sessionPreferences.runAsDefaultUser", u,
			"is in guardrail.reservedUsers: sessions without a Run As tag would open as a stock account with sudo"))
	}
	errs.Extend(c.validateGuardrail())
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
