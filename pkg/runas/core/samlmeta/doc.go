// Package samlmeta reduces Microsoft Entra ID federation metadata to what
// IAM Identity Center accepts, after checking that the metadata is the
// configured tenant's and, when asked, that a certificate the caller trusts
// signed it.
//
// Entra's metadata lists every signing certificate, active or not, repeated
// in every descriptor (the tenant-wide file carries 12), plus two
// WS-Federation RoleDescriptors, a logout endpoint and an enveloped
// signature. Identity Center fails on it without a useful error ("Retry
// Failed Steps"). Strip keeps one IDPSSODescriptor with one signing
// certificate and the two SingleSignOnService endpoints (HTTP-Redirect,
// HTTP-POST). The certificate kept is the one named by thumbprint or, by
// default, the one that signed the file. The signature is dropped because
// stripping invalidates it.
//
// Trust: the entity ID must be the configured tenant's issuer and every
// sign-on endpoint a Microsoft sign-in host of the expected cloud, whether
// or not the signature is checked. A signature that verifies with a
// certificate the file itself carries proves only that the file is intact
// and self-consistent; it proves Microsoft signed it only when it verifies
// with a certificate the caller names (a trust anchor, such as the
// application's signing thumbprint from the stack outputs).
//
// Entra federation metadata: https://learn.microsoft.com/en-us/entra/identity-platform/federation-metadata
// National cloud sign-in hosts: https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud
// SAML metadata: https://docs.oasis-open.org/security/saml/v2.0/saml-metadata-2.0-os.pdf
// XML Signature: https://www.w3.org/TR/xmldsig-core1/
package samlmeta
