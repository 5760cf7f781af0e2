package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// EnvVar is the environment variable the broker function reads its rules
// from, as JSON. The deployment sets it (pkg/runas.NewSessionBroker) and
// the function reads it (cmd/ssm-runas-broker).
const EnvVar = "SSM_RUNAS_BROKER_RULES"

// MaxEnvironmentBytes is Lambda's limit on a function's environment
// variables, keys and values together ("Environment variables: 4 KB").
//
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
const MaxEnvironmentBytes = 4096

// Environment is the broker function's environment for the rules: EnvVar
// set to the rules as JSON. It refuses rules Lambda would refuse for the
// size of the environment, so a deployment fails before anything is
// created rather than at the function's update.
func (r Rules) Environment() (map[string]string, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the broker's rules: %w", err)
	}
	env := map[string]string{EnvVar: string(raw)}
	n, err := EnvironmentSize(env)
	if err != nil {
		return nil, err
	}
	if n > MaxEnvironmentBytes {
		return nil, &EnvironmentTooLargeError{Size: n}
	}
	return env, nil
}

// EnvironmentTooLargeError is Environment's refusal of rules whose
// environment exceeds MaxEnvironmentBytes.
type EnvironmentTooLargeError struct {
	// Size is the environment's size as Lambda measures it.
	Size int
}

func (e *EnvironmentTooLargeError) Error() string {
	return fmt.Sprintf("the broker's rules take %d bytes of Lambda environment, more than its limit of %d for all variables: fewer permission sets, accounts or documents",
		e.Size, MaxEnvironmentBytes)
}

// EnvironmentSize is the size Lambda compares with MaxEnvironmentBytes:
// the variables written as one JSON object, as its refusal shows ("...
// exceeded the 4KB limit. String measured: {"KEY":"value"}"). A value that
// is JSON itself counts its quotes twice, escaped.
func EnvironmentSize(vars map[string]string) (int, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(vars); err != nil {
		return 0, fmt.Errorf("measuring the function's environment: %w", err)
	}
	return len(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}
