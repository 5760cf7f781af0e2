// Package engine runs the project's stack programs through Pulumi's own
// deployment engine (github.com/pulumi/pulumi/pkg/v3, the engine's
// lifecycle test framework) with fake aws and azuread providers, so that
// what only shows on a real `pulumi up` shows in a test: a lookup that
// fails on a fresh organization, a property that forces a replacement, a
// value the service reports that makes every later run an update, an order
// of creates and deletes the cloud refuses.
//
// The fakes act on a World (one AWS organization with IAM Identity Center,
// one Entra tenant, and what the domain-controller model builds in the
// management account: VPC, subnet, routes, security groups, DHCP options,
// instances launched from the public AMI parameters, instance profiles,
// KMS keys, Secrets Manager secrets and SSM parameters, documents and
// associations). Their Diff marks as replace-on-change the properties
// the real providers' schemas mark ForceNew (schema.go cites each one),
// their Create and Read return what the services return, and their
// functions answer like the real data sources, "not found" included.
//
// It is a module of its own so that the main module does not depend on the
// engine. Run it with `cd tests/engine && go test ./...`; docs/engine-tests.md
// describes the scenarios.
//
// References:
//   - https://github.com/pulumi/pulumi/tree/v3.175.0/pkg/engine/lifecycletest
//   - https://github.com/hashicorp/terraform-provider-aws/tree/main/internal/service
//   - https://github.com/hashicorp/terraform-provider-azuread/tree/v2.47.0/internal/services
package engine
