package sessiondoc

import (
	"fmt"
	"regexp"
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
// (YAML) and, encoded by writerprops, the payload of the custom resource the
// Lambda receives (JSON).
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
