// Package runas holds the Pulumi components of ssm-runas, one per concept
// and one per file. Components only wire resources: what a document, policy
// or template says comes from the pure packages under core/, and everything
// a stack resolves (configuration, secrets, the writer's zip, providers)
// comes from the caller. Each component takes arguments of its own (not
// sections of the configuration), applies its defaults in one pure function
// without touching the caller's args, refuses nil args, and creates no
// provider: pass the aws provider of the right account and region with
// pulumi.Provider, and its children inherit it.
//
// Components:
//   - WriterArtifacts (ssm-runas:aws:WriterArtifacts): one region's private,
//     versioned artifact bucket that the organization may read, with the
//     writer Lambda's zip (old zips retained for rollbacks).
//   - OrgSessionPreferences (ssm-runas:aws:OrgSessionPreferences): the
//     service-managed StackSet, in the provider's region, with one instance
//     per (target, region).
//   - AccountSessionPreferences (ssm-runas:aws:AccountSessionPreferences):
//     the same template as a plain stack in one account and region, for the
//     management account the StackSet never reaches.
//   - SessionGuardrail (ssm-runas:aws:SessionGuardrail): the SCP that locks
//     SSM-SessionManagerRunShell, attached to the same targets.
//   - AccessControlAttributes (ssm-runas:aws:AccessControlAttributes): the
//     Identity Center ABAC configuration with SSMSessionRunAs.
//   - RoleAccess (ssm-runas:aws:RoleAccess): a permission set with the Run As
//     deny, and its assignments to a group.
//   - IdentityCenterApp (ssm-runas:entra:IdentityCenterApp): the Entra
//     gallery application in SAML mode with its signing certificate, reply
//     URLs, provisioning job and group assignments.
//   - SessionBroker (ssm-runas:aws:SessionBroker): the per-permission-set
//     model's session broker in the management account: its execution
//     role, the function, its IAM-authenticated URL and the resource policy
//     that admits the organization's callers.
//   - DomainController (ssm-runas:aws:DomainController): the
//     domain-controller model's directory: network, the Windows or Samba
//     domain controller, its generated secrets and the bootstrap status.
//
// The stack programs in stacks/ compose them; docs/deploy.md gives the
// deployment order.
//
// StackSets with service-managed permissions:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
// Attribute-based access control in IAM Identity Center:
// https://docs.aws.amazon.com/singlesignon/latest/userguide/abac.html
// SAML single sign-on for a gallery application through Microsoft Graph:
// https://learn.microsoft.com/en-us/graph/application-saml-sso-configure-api
package runas
