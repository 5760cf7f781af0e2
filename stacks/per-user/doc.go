// Package peruser is the stack program of the per-user model: each person
// lands on a host as their own Active Directory account (alice as alice),
// the value provisioned, lower-cased, from their own Entra profile.
//
// It composes the same components as the per-role program: the
// organization layer (the writer's artifacts, the member template as a
// StackSet and as plain stacks in the management account, the guardrail
// SCP), the Identity Center ABAC attribute that becomes SSMSessionRunAs,
// permission sets with the Run As deny, the reserved-name deny and the
// region rule (settings.Config.PermissionSetPolicyArgs, the one place they
// are computed) assigned to AD-backed Entra groups, and, with an entra
// section, the Entra ID application. The member template carries the
// domain join section (hostjoin.Section): the Command document, its
// association on the perUser host tag, and the managed policy the hosts'
// instance role attaches to read the join secret.
//
// Unlike per-role there is no role-account association and no attribute
// sync: the value is each person's own profile attribute, which the SCIM
// expression mapping lower-cases (`runas entra map-attribute`).
//
// Program deploys the model for an existing domain. Providers, AWSLayer and
// EntraLayer are its parts, for a program that deploys it on a domain of
// its own (stacks/domain-controller): that program shares the providers
// and gives the member template's deploy-time parameters (the join secret
// and DNS servers of the domain controller it builds).
package peruser
