package audit

import (
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// Checks on the preferences document.
const (
	CheckDocumentMissing  = "document-missing"
	CheckRunAsOff         = "run-as-enabled"
	CheckRunAsDefaultUser = "run-as-default-user"
	CheckLogging          = "logging"
	CheckPreferences      = "preferences"
	CheckDefaultVersion   = "default-version"
	CheckDocumentFormat   = "document"
)

// loggingInputs are the inputs reported under CheckLogging.
var loggingInputs = map[string]bool{
	sessiondoc.InputS3BucketName: true, sessiondoc.InputS3KeyPrefix: true, sessiondoc.InputS3EncryptionEnabled: true,
	sessiondoc.InputCloudWatchLogGroupName: true, sessiondoc.InputCloudWatchEncryptionEnabled: true,
	sessiondoc.InputCloudWatchStreamingEnabled: true, sessiondoc.InputKMSKeyID: true,
}

// CheckDocument compares what an account-region holds with prefs and
// returns its status and findings. It is pure: the state comes from
// ssmprefs.Read.
func CheckDocument(st ssmprefs.State, prefs *sessiondoc.Preferences) (string, []Finding) {
	if !st.Exists {
		return StatusMissing, []Finding{{Check: CheckDocumentMissing, Want: sessiondoc.DocumentName, Got: sessiondoc.Absent}}
	}
	desired, err := sessiondoc.Apply(st.Default, prefs)
	if err != nil {
		return StatusDrift, []Finding{{Check: CheckDocumentFormat, Want: "a Session document in JSON", Got: err.Error()}}
	}
	changes, err := sessiondoc.Diff(st.Default, desired)
	if err != nil {
		return StatusDrift, []Finding{{Check: CheckDocumentFormat, Want: "a Session document in JSON", Got: err.Error()}}
	}
	var findings []Finding
	for _, c := range changes {
		input := strings.TrimPrefix(c.Input, "inputs.")
		check := CheckPreferences
		switch {
		case input == sessiondoc.InputRunAsEnabled:
			check = CheckRunAsOff
		case input == sessiondoc.InputRunAsDefaultUser:
			check = CheckRunAsDefaultUser
		case loggingInputs[input]:
			check = CheckLogging + ":" + input
		default:
			check = CheckPreferences + ":" + input
		}
		findings = append(findings, Finding{Check: check, Want: c.Want, Got: c.Got})
	}
	// The classic half-done update: the right content written as a new
	// version that nobody made the default.
	if st.LatestVersion != st.DefaultVersion && sessiondoc.Equal(st.Latest, desired) {
		findings = append(findings, Finding{Check: CheckDefaultVersion, Want: "version " + st.LatestVersion + " (the latest, with the desired content)", Got: "version " + st.DefaultVersion})
	}
	if len(findings) == 0 {
		return StatusCompliant, nil
	}
	return StatusDrift, findings
}
