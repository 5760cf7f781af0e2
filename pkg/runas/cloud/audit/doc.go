// Package audit checks the three layers of the Run As chain in every
// account and region in scope, and reports what differs from the
// configuration:
//
//   - per account and region: SSM-SessionManagerRunShell exists, its default
//     version holds the desired preferences (Run As on, the fallback user,
//     logging), and no version with the desired content waits unpromoted;
//   - the organization: the SCP exists with the desired content and is
//     attached to every target, and the StackSet's instances are current;
//   - Identity Center: ABAC maps SSMSessionRunAs from the configured source,
//     and every user holds the one valid value their role groups imply
//     (stale values, which Identity Center keeps after Entra clears them,
//     are found, and so are values that are no role account).
//
// It reads with aws-sdk-go-v2 only and imports no Pulumi. Accounts are
// reached by assuming one role per account, once, with cached credentials;
// a bounded pool works through account-regions, each account under its
// own rate limit, Identity Center under 20 calls a second overall, and
// every client with its own standard retryer. A target that cannot be
// checked is reported with its error, never dropped.
//
// The comparison shares sessiondoc and prefswriter with the writer Lambda
// and `runas remediate`, so all three agree on what "right" is.
package audit
