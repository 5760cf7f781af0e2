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

func benchState(b *testing.B, drift bool) ssmprefs.State {
	doc, err := sessiondoc.Apply(nil, benchPrefs)
	if err != nil {
		b.Fatal(err)
	}
	if drift {
		p := *benchPrefs
		p.RunAsDefaultUser = "ops"
		doc, _ = sessiondoc.Apply(nil, &p)
	}
	return ssmprefs.State{Exists: true, DefaultVersion: "3", LatestVersion: "3", Default: doc, Latest: doc}
}

func BenchmarkCheckDocumentCompliant(b *testing.B) {
	st := benchState(b, false)
	b.ReportAllocs()
	for b.Loop() {
		if status, _ := audit.CheckDocument(st, benchPrefs); status != audit.StatusCompliant {
			b.Fatal(status)
		}
	}
}

func BenchmarkCheckDocumentDrift(b *testing.B) {
	st := benchState(b, true)
	b.ReportAllocs()
	for b.Loop() {
		if status, _ := audit.CheckDocument(st, benchPrefs); status != audit.StatusDrift {
			b.Fatal(status)
		}
	}
}
