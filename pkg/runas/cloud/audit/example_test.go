package audit_test

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// CheckDocument classifies what an account-region holds, by the same rule
// the writer and remediate follow.
func ExampleCheckDocument() {
	prefs := &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}

	status, findings := audit.CheckDocument(ssmprefs.State{}, prefs)
	fmt.Println(status, findings[0].Check)

	wrong := *prefs
	wrong.RunAsDefaultUser = "ops"
	doc := sessiondoc.Desired(nil, &wrong)
	status, findings = audit.CheckDocument(ssmprefs.State{Exists: true, DefaultVersion: "1", LatestVersion: "1", Current: sessiondoc.Current{Default: &doc}}, prefs)
	fmt.Println(status, findings[0].Check, findings[0].Got, "->", findings[0].Want)
	// Output:
	// missing document-missing
	// drift run-as-default-user "ops" -> "ssm-fallback"
}
