// Package samlmetatest makes Entra-shaped federation metadata for tests,
// signed with certificates the test makes itself, so tests of metadata
// handling stand without real files: a UTF-8 byte order mark, every
// certificate repeated in two WS-Federation RoleDescriptors and the
// IDPSSODescriptor, a logout endpoint and an enveloped signature first, as
// Entra writes them.
//
// Entra federation metadata: https://learn.microsoft.com/en-us/entra/identity-platform/federation-metadata
package samlmetatest
