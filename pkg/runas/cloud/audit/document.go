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
	// CheckRegionUncovered is an enabled region outside
	// organization.regions with no preferences document (--regions enabled).
	CheckRegionUncovered = "region-uncovered"
)

// loggingInputs are the inputs reported under CheckLogging.
var loggingInputs = map[string]bool{
	sessiondoc.InputS3BucketName: true, sessiondoc.InputS3KeyPrefix: true, sessiondoc.InputS3EncryptionEnabled: true,
	sessiondoc.InputCloudWatchLogGroupName: true, sessiondoc.InputCloudWatchEncryptionEnabled: true,
	sessiondoc.InputCloudWatchStreamingEnabled: true, sessiondoc.InputKMSKeyID: true,
}

// CheckDocument classifies what an account-region holds against prefs
// and returns its status and findings. It follows the one document rule,
// sessiondoc.Decide, that the writer Lambda and `runas remediate` follow:
// Create is missing, Update and Promote are drift (Promote also names the
// waiting version), Nothing is compliant. It is pure: the state comes from
// ssmprefs.Read.
func CheckDocument(st ssmprefs.State, prefs *sessiondoc.Preferences) (string, []Finding) {
	d, err := st.Decide(prefs)
	if err != nil {
		return StatusDrift, []Finding{{Check: CheckDocumentFormat, Want: "a Session document in JSON", Got: err.Error()}}
	}
	switch d.Action {
	case sessiondoc.Nothing:
		return StatusCompliant, nil
	case sessiondoc.Create:
		return StatusMissing, []Finding{{Check: CheckDocumentMissing, Want: sessiondoc.DocumentName, Got: sessiondoc.Absent}}
	}
	var findings []Finding
	for _, c := range d.Changes {
		input := strings.TrimPrefix(c.Input, "inputs.")
		var check string
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
	if d.Action == sessiondoc.Promote {
		// The classic half-done update: the right content written as a new
		// version that nobody made the default.
		findings = append(findings, Finding{Check: CheckDefaultVersion, Want: "version " + st.LatestVersion + " (the latest, with the desired content)", Got: "version " + st.DefaultVersion})
	}
	return StatusDrift, findings
}
