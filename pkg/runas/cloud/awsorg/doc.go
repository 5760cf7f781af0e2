// Package awsorg is the fleet machinery the audit, remediation and the
// test seeding share: AWS clients for every account of an organization,
// the accounts and regions in scope, and a worker pool over them. It knows
// nothing about what is checked or changed.
//
//   - Factory makes clients: the management account's from the base
//     configuration, a member account's from one AssumeRole per account
//     with cached credentials (stscreds and aws.CredentialsCache). Every
//     client has its own standard retryer; each service in each account
//     and region has its own rate limit, AssumeRole one of its own, and all
//     Identity Center APIs share one under their 20 calls a second. A call
//     whose endpoint cannot be reached gives up after ConnectAttempts, and
//     every retry can be reported (FactoryOptions.OnRetry).
//   - DiscoverAccounts and Scope find the ACTIVE accounts under the
//     configured targets (Account.State, falling back to the retiring
//     Status), ConfiguredRegions and EnabledRegions the regions of each.
//   - Each runs jobs with a bound that grows while calls succeed, halves on
//     throttling and narrows when calls queue (Factory.Latency); Breaker
//     stops a run when every account fails.
//   - Unreachable, Denied and Fatal classify the errors retrying cannot fix.
//
// AWS references:
// https://docs.aws.amazon.com/sdk-for-go/v2/developer-guide/configure-retries-timeouts.html,
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html,
// https://docs.aws.amazon.com/accounts/latest/reference/API_ListRegions.html,
// https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html.
package awsorg
