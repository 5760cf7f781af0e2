// Package config is the one configuration model of ssm-runas. The CLI reads
// it from a YAML file; the stacks read the same structure from the Pulumi
// config key `ssm-runas:settings`. Load parses, applies defaults in one
// place, and validates once, returning every problem with the path of the
// field that breaks a rule:
//
//	sessionPreferences.idleSessionTimeoutMinutes "0": must be between 1 and 60 minutes
//
// The package imports no Pulumi and no AWS SDK, so the Lambda and the audit
// can read it and stay small. Secrets never live here: they come from Pulumi
// secrets or environment variables.
package settings
