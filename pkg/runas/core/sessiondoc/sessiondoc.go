package sessiondoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// DocumentName is the document Session Manager reads its account-level
// preferences from, in each region.
const DocumentName = "SSM-SessionManagerRunShell"

// Document envelope values required for preferences documents.
const (
	SchemaVersion = "1.0"
	SessionType   = "Standard_Stream"
	// Description is the one the console writes; kept when present.
	Description = "Document to hold regional settings for Session Manager"
)

// Limits from the Session document schema.
const (
	MinIdleSessionTimeout = 1    // minutes
	MaxIdleSessionTimeout = 60   // minutes
	MinMaxSessionDuration = 1    // minutes
	MaxMaxSessionDuration = 1440 // minutes
	// MaxLogGroupNameLength is the CloudWatch Logs limit on log group names.
	MaxLogGroupNameLength = 512
	// MaxS3KeyPrefixLength keeps the prefix within the 1024-byte S3 key limit
	// with room for the session id Session Manager appends.
	MaxS3KeyPrefixLength = 900
)

// Input names in the document.
const (
	InputRunAsEnabled                = "runAsEnabled"
	InputRunAsDefaultUser            = "runAsDefaultUser"
	InputIdleSessionTimeout          = "idleSessionTimeout"
	InputMaxSessionDuration          = "maxSessionDuration"
	InputS3BucketName                = "s3BucketName"
	InputS3KeyPrefix                 = "s3KeyPrefix"
	InputS3EncryptionEnabled         = "s3EncryptionEnabled"
	InputCloudWatchLogGroupName      = "cloudWatchLogGroupName"
	InputCloudWatchEncryptionEnabled = "cloudWatchEncryptionEnabled"
	InputCloudWatchStreamingEnabled  = "cloudWatchStreamingEnabled"
	InputKMSKeyID                    = "kmsKeyId"
	InputShellProfile                = "shellProfile"
)

// Preferences are the inputs this project manages. A nil field is not
// managed: Apply keeps whatever the document already holds for it. Run As is
// always on; that is the point of the project.
//
// The same struct is the `sessionPreferences` section of the configuration
// (YAML) and the payload of the custom resource the Lambda receives (JSON).
type Preferences struct {
	// RunAsDefaultUser is required: the Linux user a session opens as when the
	// caller carries no SSMSessionRunAs tag. It must exist on every host.
	RunAsDefaultUser string `yaml:"runAsDefaultUser" json:"runAsDefaultUser"`
	// IdleSessionTimeoutMinutes is optional (1-60); unset keeps the current value.
	IdleSessionTimeoutMinutes *int `yaml:"idleSessionTimeoutMinutes,omitempty" json:"idleSessionTimeoutMinutes,omitempty"`
	// MaxSessionDurationMinutes is optional (1-1440); unset keeps the current value.
	MaxSessionDurationMinutes *int `yaml:"maxSessionDurationMinutes,omitempty" json:"maxSessionDurationMinutes,omitempty"`
	// S3 is optional; unset keeps the current S3 logging settings.
	S3 *S3Logging `yaml:"s3,omitempty" json:"s3,omitempty"`
	// CloudWatch is optional; unset keeps the current CloudWatch Logs settings.
	CloudWatch *CloudWatchLogging `yaml:"cloudWatch,omitempty" json:"cloudWatch,omitempty"`
	// KMSKeyID is optional: the key that encrypts session data; unset keeps
	// the current one, "" turns session encryption off.
	KMSKeyID *string `yaml:"kmsKeyId,omitempty" json:"kmsKeyId,omitempty"`
	// ShellProfile is optional; unset keeps the current profiles.
	ShellProfile *ShellProfile `yaml:"shellProfile,omitempty" json:"shellProfile,omitempty"`
}

// S3Logging sends session transcripts to a bucket at the end of each session.
type S3Logging struct {
	// BucketName is required in the section; "" turns S3 logging off.
	BucketName string `yaml:"bucketName" json:"bucketName"`
	// KeyPrefix is optional, default "".
	KeyPrefix string `yaml:"keyPrefix,omitempty" json:"keyPrefix,omitempty"`
	// EncryptionEnabled is optional, default true: only send to encrypted buckets.
	EncryptionEnabled *bool `yaml:"encryptionEnabled,omitempty" json:"encryptionEnabled,omitempty"`
}

// CloudWatchLogging sends session transcripts to a log group.
type CloudWatchLogging struct {
	// LogGroupName is required in the section; "" turns CloudWatch logging off.
	LogGroupName string `yaml:"logGroupName" json:"logGroupName"`
	// EncryptionEnabled is optional, default true: only send to encrypted log groups.
	EncryptionEnabled *bool `yaml:"encryptionEnabled,omitempty" json:"encryptionEnabled,omitempty"`
	// StreamingEnabled is optional, default true: stream as the session runs
	// rather than upload at its end.
	StreamingEnabled *bool `yaml:"streamingEnabled,omitempty" json:"streamingEnabled,omitempty"`
}

// ShellProfile holds commands run at the start of each session.
type ShellProfile struct {
	// Linux is optional, default "".
	Linux string `yaml:"linux,omitempty" json:"linux"`
	// Windows is optional, default "".
	Windows string `yaml:"windows,omitempty" json:"windows"`
}

var (
	s3BucketRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	logGroupNameRe = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)
	kmsKeyIDRe     = regexp.MustCompile(`^(` +
		`(mrk-[0-9a-f]{32})|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|` +
		`(alias/[A-Za-z0-9/_-]{1,250})|` +
		`(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})|alias/[A-Za-z0-9/_-]{1,250}))` +
		`)$`)
)

// Validate checks every field against the documented rules and returns every
// problem, each named by its path below p.
func (pr *Preferences) Validate(p field.Path) field.List {
	var errs field.List
	if pr == nil {
		errs.Add(field.Required(p, "is required"))
		return errs
	}
	if pr.RunAsDefaultUser == "" {
		errs.Add(field.Required(p.Child("runAsDefaultUser"), "is required: Run As has no fallback to ssm-user"))
	} else if err := username.Validate(pr.RunAsDefaultUser); err != nil {
		errs.Add(field.Invalid(p.Child("runAsDefaultUser"), pr.RunAsDefaultUser, err.Error()))
	}
	if v := pr.IdleSessionTimeoutMinutes; v != nil && (*v < MinIdleSessionTimeout || *v > MaxIdleSessionTimeout) {
		errs.Add(field.Invalid(p.Child("idleSessionTimeoutMinutes"), *v,
			fmt.Sprintf("must be between %d and %d minutes", MinIdleSessionTimeout, MaxIdleSessionTimeout)))
	}
	if v := pr.MaxSessionDurationMinutes; v != nil && (*v < MinMaxSessionDuration || *v > MaxMaxSessionDuration) {
		errs.Add(field.Invalid(p.Child("maxSessionDurationMinutes"), *v,
			fmt.Sprintf("must be between %d and %d minutes", MinMaxSessionDuration, MaxMaxSessionDuration)))
	}
	if s3 := pr.S3; s3 != nil {
		sp := p.Child("s3")
		if s3.BucketName != "" && (!s3BucketRe.MatchString(s3.BucketName) || strings.Contains(s3.BucketName, "..")) {
			errs.Add(field.Invalid(sp.Child("bucketName"), s3.BucketName,
				"must be an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-'"))
		}
		if s3.BucketName == "" && s3.KeyPrefix != "" {
			errs.Add(field.Invalid(sp.Child("keyPrefix"), s3.KeyPrefix, "needs s3.bucketName"))
		}
		if len(s3.KeyPrefix) > MaxS3KeyPrefixLength || strings.HasPrefix(s3.KeyPrefix, "/") {
			errs.Add(field.Invalid(sp.Child("keyPrefix"), s3.KeyPrefix,
				fmt.Sprintf("must not start with '/' and be at most %d characters", MaxS3KeyPrefixLength)))
		}
	}
	if cw := pr.CloudWatch; cw != nil && cw.LogGroupName != "" {
		if len(cw.LogGroupName) > MaxLogGroupNameLength || !logGroupNameRe.MatchString(cw.LogGroupName) {
			errs.Add(field.Invalid(p.Child("cloudWatch").Child("logGroupName"), cw.LogGroupName,
				fmt.Sprintf("must be a log group name: at most %d of A-Z a-z 0-9 . - _ / #", MaxLogGroupNameLength)))
		}
	}
	if k := pr.KMSKeyID; k != nil && *k != "" && !kmsKeyIDRe.MatchString(*k) {
		errs.Add(field.Invalid(p.Child("kmsKeyId"), *k, "must be a KMS key id, key ARN, alias/NAME or alias ARN"))
	}
	if sp := pr.ShellProfile; sp != nil {
		for name, v := range map[string]string{"linux": sp.Linux, "windows": sp.Windows} {
			if strings.ContainsRune(v, 0) {
				errs.Add(field.Invalid(p.Child("shellProfile").Child(name), v, "must not contain NUL"))
			}
		}
	}
	return errs
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// Inputs returns the document inputs these preferences set, by input name.
// Inputs not in the map are not managed.
func (pr *Preferences) Inputs() map[string]any {
	in := map[string]any{
		InputRunAsEnabled:     true,
		InputRunAsDefaultUser: pr.RunAsDefaultUser,
	}
	if v := pr.IdleSessionTimeoutMinutes; v != nil {
		in[InputIdleSessionTimeout] = strconv.Itoa(*v)
	}
	if v := pr.MaxSessionDurationMinutes; v != nil {
		in[InputMaxSessionDuration] = strconv.Itoa(*v)
	}
	if s3 := pr.S3; s3 != nil {
		in[InputS3BucketName] = s3.BucketName
		in[InputS3KeyPrefix] = s3.KeyPrefix
		in[InputS3EncryptionEnabled] = boolOr(s3.EncryptionEnabled, true)
	}
	if cw := pr.CloudWatch; cw != nil {
		in[InputCloudWatchLogGroupName] = cw.LogGroupName
		in[InputCloudWatchEncryptionEnabled] = boolOr(cw.EncryptionEnabled, true)
		in[InputCloudWatchStreamingEnabled] = boolOr(cw.StreamingEnabled, true)
	}
	if k := pr.KMSKeyID; k != nil {
		in[InputKMSKeyID] = *k
	}
	if sp := pr.ShellProfile; sp != nil {
		in[InputShellProfile] = map[string]any{"linux": sp.Linux, "windows": sp.Windows}
	}
	return in
}

// Document is a Session Manager preferences document. Inputs are kept raw so
// inputs this project does not know survive a rewrite untouched.
type Document struct {
	SchemaVersion string                     `json:"schemaVersion"`
	Description   string                     `json:"description,omitempty"`
	SessionType   string                     `json:"sessionType"`
	Inputs        map[string]json.RawMessage `json:"inputs"`
}

// Baseline returns the document the console saves when preferences are first
// written: Run As off and no logging. Apply starts from it when the account
// has no preferences document yet.
func Baseline() Document {
	raw := func(v any) json.RawMessage { b, _ := marshalRaw(v); return b }
	return Document{
		SchemaVersion: SchemaVersion,
		Description:   Description,
		SessionType:   SessionType,
		Inputs: map[string]json.RawMessage{
			InputS3BucketName:                raw(""),
			InputS3KeyPrefix:                 raw(""),
			InputS3EncryptionEnabled:         raw(true),
			InputCloudWatchLogGroupName:      raw(""),
			InputCloudWatchEncryptionEnabled: raw(true),
			InputCloudWatchStreamingEnabled:  raw(true),
			InputIdleSessionTimeout:          raw("20"),
			InputMaxSessionDuration:          raw(""),
			InputKMSKeyID:                    raw(""),
			InputRunAsEnabled:                raw(false),
			InputRunAsDefaultUser:            raw(""),
			InputShellProfile:                raw(map[string]string{"linux": "", "windows": ""}),
		},
	}
}

// Parse reads a preferences document as GetDocument returns it in JSON.
func Parse(content []byte) (Document, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("parsing session document: %w", err)
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
		// Apply never produce those.
		panic(fmt.Sprintf("marshal session document: %v", err))
	}
	return buf.Bytes()
}

// Apply returns the document with the managed inputs of pr written over
// existing, which may be nil when the account has no document yet. Inputs
// pr does not manage are kept as they were; the envelope is set to what
// Session Manager requires.
func Apply(existing []byte, pr *Preferences) ([]byte, error) {
	d := Baseline()
	if existing != nil {
		var err error
		if d, err = Parse(existing); err != nil {
			return nil, err
		}
	}
	d.SchemaVersion = SchemaVersion
	d.SessionType = SessionType
	if d.Description == "" {
		d.Description = Description
	}
	for k, v := range pr.Inputs() {
		b, err := marshalRaw(v)
		if err != nil {
			return nil, fmt.Errorf("encoding input %s: %w", k, err)
		}
		d.Inputs[k] = b
	}
	return d.Marshal(), nil
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

// Equal reports whether two documents have the same content, ignoring
// formatting and key order.
func Equal(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
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

// Diff lists, in input-name order, the inputs and envelope fields whose
// values differ between got and want. A nil got means no document.
func Diff(got, want []byte) ([]Change, error) {
	wd, err := Parse(want)
	if err != nil {
		return nil, err
	}
	gd := Document{Inputs: map[string]json.RawMessage{}}
	if got != nil {
		if gd, err = Parse(got); err != nil {
			return nil, err
		}
	}
	var out []Change
	env := func(name, g, w string) {
		if g != w {
			out = append(out, Change{Input: name, Got: orAbsent(g), Want: orAbsent(w)})
		}
	}
	env("schemaVersion", gd.SchemaVersion, wd.SchemaVersion)
	env("sessionType", gd.SessionType, wd.SessionType)
	keys := map[string]bool{}
	for k := range gd.Inputs {
		keys[k] = true
	}
	for k := range wd.Inputs {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		g, w := gd.Inputs[k], wd.Inputs[k]
		if Equal(g, w) {
			continue
		}
		out = append(out, Change{Input: "inputs." + k, Got: rawString(g), Want: rawString(w)})
	}
	return out, nil
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

// ManagedInputsJSON renders pr as the compact JSON payload the custom
// resource carries to the Lambda.
func (pr *Preferences) ManagedInputsJSON() string {
	b, err := marshalRaw(pr)
	if err != nil {
		panic(fmt.Sprintf("marshal preferences: %v", err))
	}
	return string(b)
}

// ParsePreferences reads and validates the custom resource payload. Unknown
// fields are refused: a payload from a newer template must not be half applied.
func ParsePreferences(payload string) (*Preferences, error) {
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.DisallowUnknownFields()
	var pr Preferences
	if err := dec.Decode(&pr); err != nil {
		return nil, fmt.Errorf("parsing preferences: %w", err)
	}
	if err := pr.Validate("preferences").Err(); err != nil {
		return nil, err
	}
	return &pr, nil
}
