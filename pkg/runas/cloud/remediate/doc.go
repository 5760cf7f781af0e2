// Package remediate repairs SSM-SessionManagerRunShell where the audit
// finds drift, with exactly the upsert the writer Lambda uses
// (ssmprefs.Upsert): update from $LATEST or create, then promote the
// default version, keeping the inputs the configuration does not manage.
//
// It is a dry run unless asked to apply, shows the exact input changes per
// account and region, never deletes a document, never touches an account
// outside the configured scope, and a second run writes nothing.
// Organization findings (the SCP's content and attachments, StackSet
// instances, Identity Center account assignments) are not repaired here:
// the Pulumi stack owns those resources, and writing them behind its back
// would only make it undo the write. Run reads them with the audit's own
// checks and gives, for each, the command that repairs it
// (`pulumi up --refresh`, which first notices what was changed outside
// it). Users' Run As values belong to `runas entra sync-attributes`.
//
// It runs on the same fleet machinery as the audit (package awsorg). When
// its context ends (a signal, the timeout) or every account fails, it
// starts no further write, lets the writes in flight finish (each bounded
// by the target timeout, so no version is left written but unpromoted by
// a cut), and reports what it changed and which targets it never reached.
//
// AWS references: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_UpdateDocument.html,
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_UpdateDocumentDefaultVersion.html.
package remediate
