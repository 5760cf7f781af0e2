package writerprops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

const (
	// ResourceType is the custom resource type the writer serves.
	ResourceType = "Custom::SessionManagerPreferences"
	// LogicalID is the custom resource's logical id in the member template.
	// The writer serves no other resource.
	LogicalID = "SessionPreferences"
	// DataDefaultVersion is the attribute the writer returns: the default
	// version of the document after the write.
	DataDefaultVersion = "DefaultVersion"
	// EnvStackID names the environment variable that tells the function
	// which stack it belongs to; the template sets it from AWS::StackId. The
	// writer refuses requests from any other stack.
	EnvStackID = "SSM_RUNAS_STACK_ID"
)

// Properties are the custom resource's properties as they appear in the
// template and, verbatim, in a request's ResourceProperties. In the
// template ServiceToken is an intrinsic function (Fn::GetAtt) and
// ServiceTimeout a number; in a request both are strings.
type Properties struct {
	ServiceToken   any    `json:"ServiceToken"`
	ServiceTimeout any    `json:"ServiceTimeout,omitempty"`
	DocumentName   string `json:"DocumentName"`
	// Preferences is sessiondoc.Preferences as compact JSON (EncodePreferences).
	Preferences string `json:"Preferences"`
}

// Request is what the writer reads from a request's ResourceProperties:
// decoded and validated once, at the entry.
type Request struct {
	// ServiceToken is the function the request was sent to.
	ServiceToken string
	// DocumentName is always sessiondoc.DocumentName.
	DocumentName string
	// Preferences are valid (sessiondoc.Preferences.Validate).
	Preferences *sessiondoc.Preferences
}

// New returns the properties the template gives the custom resource.
// serviceToken is the function's ARN (an intrinsic function in a template).
func New(serviceToken, serviceTimeout any, prefs *sessiondoc.Preferences) Properties {
	return Properties{
		ServiceToken:   serviceToken,
		ServiceTimeout: serviceTimeout,
		DocumentName:   sessiondoc.DocumentName,
		Preferences:    EncodePreferences(prefs),
	}
}

// EncodePreferences renders prefs as the compact JSON the Preferences
// property carries.
func EncodePreferences(prefs *sessiondoc.Preferences) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // shell profiles hold `&&`; keep them readable
	if err := enc.Encode(prefs); err != nil {
		// Preferences hold only strings, numbers and booleans.
		panic(fmt.Sprintf("encoding preferences: %v", err))
	}
	return strings.TrimRight(buf.String(), "\n")
}

// DecodePreferences reads and validates the Preferences property. Unknown
// fields are refused: a payload from a newer template must not be half
// applied.
func DecodePreferences(payload string) (*sessiondoc.Preferences, error) {
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.DisallowUnknownFields()
	var pr sessiondoc.Preferences
	if err := dec.Decode(&pr); err != nil {
		return nil, fmt.Errorf("parsing preferences: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parsing preferences: trailing data after the object")
	}
	if err := pr.Validate("preferences").Err(); err != nil {
		return nil, err
	}
	return &pr, nil
}

// Decode reads a request's ResourceProperties. Delete requests carry the
// properties too, but the writer does not need valid preferences to
// restore, so DecodeDelete reads only what a Delete uses.
func Decode(raw json.RawMessage) (Request, error) {
	p, err := decodeProperties(raw)
	if err != nil {
		return Request{}, err
	}
	if p.DocumentName != sessiondoc.DocumentName {
		return Request{}, fmt.Errorf("property DocumentName %q: only %s is managed", p.DocumentName, sessiondoc.DocumentName)
	}
	prefs, err := DecodePreferences(p.Preferences)
	if err != nil {
		return Request{}, fmt.Errorf("property Preferences: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return Request{ServiceToken: p.token, DocumentName: p.DocumentName, Preferences: prefs}, nil
}

// DecodeDelete reads the service token of a Delete request, whose other
// properties may come from an older template.
func DecodeDelete(raw json.RawMessage) (Request, error) {
	p, err := decodeProperties(raw)
	if err != nil {
		return Request{}, err
	}
	return Request{ServiceToken: p.token, DocumentName: sessiondoc.DocumentName}, nil
}

type decoded struct {
	Properties
	token string
}

func decodeProperties(raw json.RawMessage) (decoded, error) {
	var p Properties
	if err := json.Unmarshal(raw, &p); err != nil {
		return decoded{}, fmt.Errorf("reading ResourceProperties: %w", err)
	}
	token, ok := p.ServiceToken.(string)
	if !ok || token == "" {
		return decoded{}, fmt.Errorf("reading ResourceProperties: ServiceToken must be a function ARN")
	}
	return decoded{Properties: p, token: token}, nil
}
