// Package sessiondoctest holds preferences the tests of several packages
// share: one value that sets every managed input, so a round trip through
// the document, the template or the writer's wire format drops nothing
// unnoticed.
package sessiondoctest

import "github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"

func ptr[T any](v T) *T { return &v }

// Full returns valid preferences that set every input this project manages,
// with a shell profile holding `&&` (which must not be HTML-escaped).
func Full() *sessiondoc.Preferences {
	return &sessiondoc.Preferences{
		RunAsDefaultUser:          "ssm-fallback",
		IdleSessionTimeoutMinutes: ptr(15),
		MaxSessionDurationMinutes: ptr(480),
		S3:                        &sessiondoc.S3Logging{BucketName: "corp-session-logs", KeyPrefix: "ssm/"},
		CloudWatch:                &sessiondoc.CloudWatchLogging{LogGroupName: "/corp/ssm/sessions", StreamingEnabled: ptr(false)},
		KMSKeyID:                  ptr("alias/ssm-sessions"),
		ShellProfile:              &sessiondoc.ShellProfile{Linux: "cd ~ && exec bash -l"},
	}
}
