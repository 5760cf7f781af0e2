// Package entrasync does the Entra ID steps no Pulumi resource can do.
//
// The attribute sync (per-role model) computes and writes the one Run As
// value each person should hold in an Entra attribute (e.g.
// extensionAttribute1), from the role groups they are a direct member of,
// by the precedence rule settings.DecideRole. SCIM carries the attribute to
// Identity Center, whose ABAC turns it into the SSMSessionRunAs session tag.
// Only direct members count: Entra provisioning does not expand nested
// groups, so Identity Center's groups (and the permission sets assigned to
// them) hold direct members only.
//
// Identity Center keeps an attribute's old value when it is cleared in
// Entra, so people who lost every role are not cleared but given the
// revoked value, an account that exists on no host: their sessions fail
// closed. Only values the sync owns are revoked (a role account, or the
// revoked value itself); any other value in the attribute belongs to
// something else and is reported, never overwritten. Conflicts at equal
// precedence, invalid role values and users synced from on-premises AD
// (whose attributes Graph cannot write) are reported, never guessed.
//
// ConfigureMapping edits the provisioning job's synchronization schema so
// that the configured source (an attribute, or an expression such as
// ToLower([onPremisesSamAccountName], ) for the per-user model) flows into
// the SCIM attribute Identity Center's ABAC reads.
//
// Group members: https://learn.microsoft.com/en-us/graph/api/group-list-members
// Provisioning and nested groups: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works
// Synchronization schema: https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationschema
// Identity Center and Entra: https://docs.aws.amazon.com/singlesignon/latest/userguide/azure-ad-idp.html
package entrasync
