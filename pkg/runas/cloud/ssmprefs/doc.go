// Package ssmprefs reads and upserts the Session Manager preferences
// document in one account and region. It is the core of the member-account
// Lambda and of `runas remediate`, so both write exactly the same way, and
// Read is what the audit checks.
//
// SSM-SessionManagerRunShell already exists wherever someone saved
// preferences in the console: CreateDocument then fails with
// DocumentAlreadyExists, and UpdateDocument adds a version without making it
// the default. Upsert therefore reads the document (default and latest
// versions, parsed once), lets sessiondoc.Decide say what must happen,
// updates from $LATEST (DuplicateDocumentContent means
// the content is already there), creates it when missing, and then promotes
// the new version with UpdateDocumentDefaultVersion. Inputs the preferences
// do not manage are kept.
//
// Restore puts back what Upsert found before its first write, and never
// leaves Run As on without a user.
//
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_UpdateDocument.html
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_UpdateDocumentDefaultVersion.html
package ssmprefs
