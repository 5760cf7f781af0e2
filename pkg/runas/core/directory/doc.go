// Package directory is the seed of an Active Directory domain as one typed
// value: organizational units, users (with or without the RFC2307
// attributes uidNumber, gidNumber, unixHomeDirectory and loginShell,
// enabled or disabled) and groups with their members, groups included, so
// nesting is part of the model.
//
// The seed is rendered for each kind of domain controller from the same
// value, so what a test proves against one holds for the other:
// SambaScript renders an idempotent bash script of samba-tool commands for a
// Samba AD DC (the per-user tests apply it to a real Samba domain), and the
// domain-controller stack renders the same seed to PowerShell for Windows.
//
// Validate enforces what the hosts need from the directory: user names whose
// lower-case form is a valid Run As name (the SSM agent looks up the
// lower-cased tag; SSSD compares without regard to case), positive IDs at
// or above MinID (SSSD on the hosts ignores lower ones, and uid or gid 0
// would be root), and group members that exist in the seed.
//
// samba-tool: https://www.samba.org/samba/docs/current/man-html/samba-tool.8.html
// RFC2307 attributes in AD: https://wiki.samba.org/index.php/Maintaining_Unix_Attributes_in_AD_using_ADUC
package directory
