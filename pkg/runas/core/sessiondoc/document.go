package sessiondoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/jsoneq"
)

// Document is a Session Manager preferences document. The envelope is typed;
// inputs are kept raw so inputs this project does not know survive a
// rewrite untouched. Parse it once where content arrives (GetDocument) and
// Marshal it once where content leaves (CreateDocument, UpdateDocument).
type Document struct {
	SchemaVersion string                     `json:"schemaVersion"`
	Description   string                     `json:"description,omitempty"`
	SessionType   string                     `json:"sessionType"`
	Inputs        map[string]json.RawMessage `json:"inputs"`

	// extra holds top-level fields other than the four above, as found by
	// Parse. They take part in Equal (a stored document carrying them is not
	// the one we write) but are never written back.
	extra map[string]json.RawMessage
}

// envelopeFields are the top-level fields Document models.
var envelopeFields = map[string]bool{"schemaVersion": true, "description": true, "sessionType": true, "inputs": true}

// Baseline returns the document the console saves when preferences are first
// written: Run As off and no logging. Desired starts from it when the
// account has no preferences document yet.
func Baseline() Document {
	return Document{
		SchemaVersion: SchemaVersion,
		Description:   Description,
		SessionType:   SessionType,
		Inputs: map[string]json.RawMessage{
			InputS3BucketName:                mustRaw(""),
			InputS3KeyPrefix:                 mustRaw(""),
			InputS3EncryptionEnabled:         mustRaw(true),
			InputCloudWatchLogGroupName:      mustRaw(""),
			InputCloudWatchEncryptionEnabled: mustRaw(true),
			InputCloudWatchStreamingEnabled:  mustRaw(true),
			InputIdleSessionTimeout:          mustRaw("20"),
			InputMaxSessionDuration:          mustRaw(""),
			InputKMSKeyID:                    mustRaw(""),
			InputRunAsEnabled:                mustRaw(false),
			InputRunAsDefaultUser:            mustRaw(""),
			InputShellProfile:                mustRaw(map[string]string{"linux": "", "windows": ""}),
		},
	}
}

// Parse reads a preferences document as GetDocument returns it in JSON.
func Parse(content []byte) (Document, error) {
	var d Document
	if err := json.Unmarshal(content, &d); err != nil {
		return Document{}, fmt.Errorf("parsing session document: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(content, &top); err != nil {
		return Document{}, fmt.Errorf("parsing session document: %w", err)
	}
	for k, v := range top {
		if !envelopeFields[k] {
			if d.extra == nil {
				d.extra = map[string]json.RawMessage{}
			}
			d.extra[k] = v
		}
	}
	if d.Inputs == nil {
		d.Inputs = map[string]json.RawMessage{}
	}
	return d, nil
}

// Marshal renders the document the way it is stored: indented JSON with
// inputs in a stable order.
func (d Document) Marshal() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // shell profiles hold `&&` and `<`; keep them readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		// Only raw inputs that are not JSON can fail here, and Parse and
		// Desired never produce those.
		panic(fmt.Sprintf("marshal session document: %v", err))
	}
	return buf.Bytes()
}

// Clone returns a copy that shares nothing mutable with d.
func (d Document) Clone() Document {
	c := d
	c.Inputs = maps.Clone(d.Inputs)
	if c.Inputs == nil {
		c.Inputs = map[string]json.RawMessage{}
	}
	c.extra = maps.Clone(d.extra)
	return c
}

// Equal reports whether d and o hold the same content, ignoring formatting
// and key order.
func (d Document) Equal(o Document) bool {
	if d.SchemaVersion != o.SchemaVersion || d.Description != o.Description || d.SessionType != o.SessionType {
		return false
	}
	return rawMapsEqual(d.Inputs, o.Inputs) && rawMapsEqual(d.extra, o.extra)
}

func rawMapsEqual(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !jsoneq.Equal(va, vb) {
			return false
		}
	}
	return true
}

// RunAs returns the Run As inputs as the agent reads them: enabled, and the
// default user. Inputs that are missing or of another type read as off and "".
func (d Document) RunAs() (enabled bool, defaultUser string) {
	_ = json.Unmarshal(d.Inputs[InputRunAsEnabled], &enabled)
	_ = json.Unmarshal(d.Inputs[InputRunAsDefaultUser], &defaultUser)
	return enabled, defaultUser
}

// HalfConfigured reports whether Run As is on with no default user: the state
// no write of this project may leave behind.
func (d Document) HalfConfigured() bool {
	on, user := d.RunAs()
	return on && user == ""
}

// WithRunAsOff returns a copy of d with Run As turned off and every other
// input kept.
func (d Document) WithRunAsOff() Document {
	c := d.Clone()
	c.Inputs[InputRunAsEnabled] = mustRaw(false)
	return c
}

// Desired returns the document the account must hold: current (nil when the
// account has no document, then Baseline is the start) with the managed
// inputs of pr written over it. Inputs pr does not manage are kept as they
// were; the envelope is set to what Session Manager requires; top-level
// fields Session documents do not use are dropped. pr must be valid
// (Preferences.Validate).
func Desired(current *Document, pr *Preferences) Document {
	d := Baseline()
	if current != nil {
		d = current.Clone()
		d.extra = nil
	}
	d.SchemaVersion = SchemaVersion
	d.SessionType = SessionType
	if d.Description == "" {
		d.Description = Description
	}
	for k, v := range pr.Inputs() {
		d.Inputs[k] = mustRaw(v)
	}
	return d
}

// Change is one input whose value differs between two documents. Got or Want
// is "(absent)" when the input is missing on that side.
type Change struct {
	Input string `json:"input"`
	Got   string `json:"got"`
	Want  string `json:"want"`
}

// Absent marks an input or document that is not there.
const Absent = "(absent)"

// Changes lists, in input-name order, the envelope fields and inputs whose
// values differ between got and want. A nil got means no document.
// Envelope fields come first, named as in the document; inputs are named
// "inputs.<name>".
func Changes(got *Document, want Document) []Change {
	g := Document{}
	if got != nil {
		g = *got
	}
	var out []Change
	env := func(name, gv, wv string) {
		if gv != wv {
			out = append(out, Change{Input: name, Got: orAbsent(gv), Want: orAbsent(wv)})
		}
	}
	env("schemaVersion", g.SchemaVersion, want.SchemaVersion)
	env("sessionType", g.SessionType, want.SessionType)
	names := slices.Collect(maps.Keys(g.Inputs))
	for k := range want.Inputs {
		if _, ok := g.Inputs[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		gv, wv := g.Inputs[k], want.Inputs[k]
		if jsoneq.Equal(gv, wv) {
			continue
		}
		out = append(out, Change{Input: "inputs." + k, Got: rawString(gv), Want: rawString(wv)})
	}
	return out
}

func orAbsent(s string) string {
	if s == "" {
		return Absent
	}
	return s
}

func rawString(r json.RawMessage) string {
	if r == nil {
		return Absent
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, r); err != nil {
		return string(r)
	}
	return buf.String()
}

// marshalRaw encodes v without HTML escaping, so `&&` stays `&&`.
func marshalRaw(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// mustRaw encodes the plain values (strings, booleans, string maps) the
// inputs hold; those cannot fail to encode.
func mustRaw(v any) json.RawMessage {
	b, err := marshalRaw(v)
	if err != nil {
		panic(fmt.Sprintf("encoding session document input: %v", err))
	}
	return b
}
