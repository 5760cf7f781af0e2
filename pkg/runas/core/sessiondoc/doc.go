// Package sessiondoc models the Session Manager preferences document,
// `SSM-SessionManagerRunShell`, that every account and region carries.
//
// Preferences is the part of the document this project manages: Run As on
// with one agreed fallback user, and optionally the timeouts, logging, KMS
// key and shell profile. Document is the document itself as a typed value:
// Parse it once where content arrives from SSM, work on it, Marshal it once
// where it leaves.
//
// Decide is the one rule for what the preferences require of an account's
// document: from its current state (no document, the default version, the
// latest version) it returns nothing / create / update / promote, the
// desired document and the input changes. Desired writes the managed inputs
// over the current document and leaves every other input as it found it, so
// logging settings someone saved in the console survive. The member-account
// writer, `runas remediate` (and its dry run) and the audit all follow
// Decide.
//
// Schema: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-schema.html
// Run As: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html
package sessiondoc
