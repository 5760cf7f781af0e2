package audit_test

import (
	"testing"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// Comparison cost per account-region, without the network: the audit
// does this once per target.

var benchPrefs = &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback", S3: &sessiondoc.S3Logging{BucketName: "corp-session-logs"}}

func benchState(drift bool) ssmprefs.State {
	p := *benchPrefs
	if drift {
		p.RunAsDefaultUser = "ops"
	}
	doc := sessiondoc.Desired(nil, &p)
	return ssmprefs.State{Exists: true, DefaultVersion: "3", LatestVersion: "3", Current: sessiondoc.Current{Default: &doc}}
}

func BenchmarkCheckDocumentCompliant(b *testing.B) {
	st := benchState(false)
	b.ReportAllocs()
	for b.Loop() {
		if status, _ := audit.CheckDocument(st, benchPrefs); status != audit.StatusCompliant {
			b.Fatal(status)
		}
	}
}

func BenchmarkCheckDocumentDrift(b *testing.B) {
	st := benchState(true)
	b.ReportAllocs()
	for b.Loop() {
		if status, _ := audit.CheckDocument(st, benchPrefs); status != audit.StatusDrift {
			b.Fatal(status)
		}
	}
}
