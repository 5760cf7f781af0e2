// Package domaincontroller is the stack program of the self-contained
// per-user model: it builds an Active Directory domain from nothing (a
// Windows Server 2022 domain controller, or Samba AD with engine: samba),
// seeds it from the domainController section, launches a demo Linux host
// tagged for the per-user domain join, and deploys the whole per-user model
// on that domain with the per-user program's layers (stacks/per-user): the
// organization layer (writer artifacts, the member template as a StackSet
// and as the management account's stacks, the guardrail SCP), the Identity
// Center ABAC attribute, the permission sets of perUser.permissionSets and,
// with an entra section, the Entra ID application.
//
// The domain controller is the runas.DomainController component; its
// bootstrap (pkg/runas/core/dcbootstrap) reads the generated passwords at
// run time from Secrets Manager and records its progress in an SSM
// parameter, which the outputs name with the log file on the instance.
//
// The member template's domain join (hostjoin.SectionFor) takes the join
// secret's ARN and the domain controller's address as StackSet parameters
// set from the component's outputs, so the template stays the constant
// text `runas stackset template` prints. The join secret is shared with
// the organization (customer managed key, resource policy on
// aws:PrincipalOrgID) so that member accounts' hosts can read it; their
// DNS and routes to the domain controller are the network owner's
// (docs/domain-controller.md).
//
// Windows user data: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
// Cross-account secrets: https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
package domaincontroller
