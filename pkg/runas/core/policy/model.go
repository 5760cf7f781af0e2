package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Version is the policy language version every document uses.
const Version = "2012-10-17"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Sid         string     `json:"Sid,omitempty"`
	Effect      string     `json:"Effect"`
	Principal   *Principal `json:"Principal,omitempty"`
	Action      Strings    `json:"Action,omitempty"`
	NotAction   Strings    `json:"NotAction,omitempty"`
	Resource    Values     `json:"Resource,omitempty"`
	NotResource Values     `json:"NotResource,omitempty"`
	Condition   Condition  `json:"Condition,omitempty"`
}

// Effects.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Principal is either everyone ("*") or a set of principals by kind.
type Principal struct {
	// Everyone renders the principal as "*".
	Everyone bool
	AWS      Strings
	Service  Strings
}

// MarshalJSON renders "*" or {"AWS": ..., "Service": ...}.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Everyone {
		return []byte(`"*"`), nil
	}
	m := map[string]Strings{}
	if len(p.AWS) > 0 {
		m["AWS"] = p.AWS
	}
	if len(p.Service) > 0 {
		m["Service"] = p.Service
	}
	return json.Marshal(m)
}

// Strings renders as a single string when it holds one value, as IAM writes it.
type Strings []string

// MarshalJSON renders one value as a string and several as a list.
func (s Strings) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// Values is like Strings but an element may also be a CloudFormation
// intrinsic function (`{"Fn::Sub": ...}`), so a template can scope a role
// policy to its own account and region with the same policy model.
type Values []any

// MarshalJSON renders one value alone and several as a list.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]any(v))
}

// Condition maps an operator (StringEquals) to keys and their values.
type Condition map[string]map[string]Strings

// JSON renders the document compactly, with stable key order.
func (d Document) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		panic(fmt.Sprintf("marshal policy: %v", err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Indented renders the document for people and golden files.
func (d Document) Indented() []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, d.JSON(), "", "  "); err != nil {
		panic(fmt.Sprintf("indent policy: %v", err))
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
