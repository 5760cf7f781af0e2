package cfn

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FormatVersion is the only template format version CloudFormation knows.
const FormatVersion = "2010-09-09"

// Template is a CloudFormation template.
type Template struct {
	AWSTemplateFormatVersion string               `json:"AWSTemplateFormatVersion"`
	Description              string               `json:"Description,omitempty"`
	Parameters               map[string]Parameter `json:"Parameters,omitempty"`
	Resources                map[string]Resource  `json:"Resources"`
	Outputs                  map[string]Output    `json:"Outputs,omitempty"`
}

// Parameter is a template parameter.
type Parameter struct {
	Type                  string `json:"Type"`
	Description           string `json:"Description,omitempty"`
	AllowedPattern        string `json:"AllowedPattern,omitempty"`
	ConstraintDescription string `json:"ConstraintDescription,omitempty"`
}

// Resource is a template resource; Properties is one of the typed property
// structs below.
type Resource struct {
	Type                string   `json:"Type"`
	DependsOn           []string `json:"DependsOn,omitempty"`
	DeletionPolicy      string   `json:"DeletionPolicy,omitempty"`
	UpdateReplacePolicy string   `json:"UpdateReplacePolicy,omitempty"`
	Properties          any      `json:"Properties,omitempty"`
}

// Output is a template output.
type Output struct {
	Description string `json:"Description,omitempty"`
	Value       any    `json:"Value"`
}

// Intrinsic functions.

// Ref refers to a parameter or resource.
func Ref(name string) any { return map[string]any{"Ref": name} }

// Sub substitutes ${...} variables in s.
func Sub(s string) any { return map[string]any{"Fn::Sub": s} }

// GetAtt reads an attribute of a resource.
func GetAtt(resource, attribute string) any {
	return map[string]any{"Fn::GetAtt": []string{resource, attribute}}
}

// JSON renders the template with two-space indentation and stable key order.
func (t Template) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		panic(fmt.Sprintf("marshal template: %v", err))
	}
	return buf.Bytes()
}

// free reports an error when one of ids is already a resource of t: a
// section must never replace what another one wrote.
func (t *Template) free(ids ...string) error {
	for _, id := range ids {
		if _, taken := t.Resources[id]; taken {
			return fmt.Errorf("building the template: logical id %s is already taken", id)
		}
	}
	return nil
}
