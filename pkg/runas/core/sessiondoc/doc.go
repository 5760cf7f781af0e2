// Package sessiondoc builds the Session Manager preferences document,
// `SSM-SessionManagerRunShell`, that every account and region carries.
//
// Preferences is the part of the document this project manages: Run As on
// with one agreed fallback user, and optionally the timeouts, logging, KMS
// key and shell profile. Apply writes those inputs into an existing document
// and leaves every other input as it found it, so logging settings someone
// saved in the console survive. The same function serves the member-account
// Lambda, the management-account stack, `runas remediate` and the audit.
//
// Schema: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-schema.html
// Run As: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html
package sessiondoc
