// Package runas holds the Pulumi components of ssm-runas, one per concept,
// and the glue that reads the configuration from a Pulumi stack. Everything
// that decides content (documents, policies, templates) lives in the pure
// subpackages; the components here only wire those results into resources.
//
// Components:
//   - OrgSessionPreferences (ssm-runas:aws:OrgSessionPreferences): the
//     per-region artifact buckets with the writer's zip, the service-managed
//     StackSet with one instance set per region, and the management-account
//     stacks the StackSet never reaches.
//   - SessionGuardrail (ssm-runas:aws:SessionGuardrail): the SCP that locks
//     SSM-SessionManagerRunShell, attached to the same targets.
//
// StackSets with service-managed permissions:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
package runas
