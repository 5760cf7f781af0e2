// Package audit checks the three layers of the Run As chain in every
// account and region in scope, and reports what differs from the
// configuration:
//
//   - per account and region: SSM-SessionManagerRunShell exists, its default
//     version holds the desired preferences (Run As on, the fallback user,
//     logging), and no version with the desired content waits unpromoted;
//     with a broker, its session role matches the member template; with
//     per-user hosts, every instance tagged for joining has joined;
//   - the organization: the SCP exists with the desired content and is
//     attached to every target, and the StackSet's instances are current;
//     the broker answers a signed probe; the domain controller's bootstrap
//     is complete;
//   - Identity Center: ABAC maps SSMSessionRunAs from the configured source,
//     and every user holds the one valid value their role groups imply
//     (values that are no role account are found), or, per user, one valid,
//     unique, non-reserved value of their own; the permission sets are
//     assigned in exactly the configured accounts; with Microsoft Graph,
//     stale values, which Identity Center keeps after Entra clears or
//     changes the source, are found.
//
// It reads with aws-sdk-go-v2 only and imports no Pulumi. The fleet
// machinery (one assumed role per account, rate limits, retries, the
// adaptive worker pool, the circuit breaker) is package awsorg; this
// package holds the checks and the report. A target that cannot be
// checked is reported with its error, and a run that stops early (a
// signal, its timeout, every account failing) reports what it checked and
// marks the rest unchecked: nothing is dropped.
//
// The document comparison shares sessiondoc and ssmprefs with the writer
// Lambda and `runas remediate`, so all three agree on what "right" is.
//
// AWS references: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html,
// https://docs.aws.amazon.com/singlesignon/latest/userguide/attributesforaccesscontrol.html.
package audit
