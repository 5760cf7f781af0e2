// Package domaincontroller is the stack program of the self-contained
// per-user model: it builds an Active Directory domain from nothing (a
// Windows Server 2022 domain controller, or Samba AD with engine: samba),
// seeds it from the domainController section, and launches a demo Linux
// host tagged for the per-user domain join, so the per-user chain can be
// proved without an existing directory.
//
// The domain controller is the runas.DomainController component; its
// bootstrap (pkg/runas/core/dcbootstrap) reads the generated passwords at
// run time from Secrets Manager and records its progress in an SSM
// parameter, which the outputs name with the log file on the instance.
//
// Outputs are what the per-user model's hosts need (domain, realm,
// dnsServers, joinSecretArn, joinOu) and nextSteps.
//
// Windows user data: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
package domaincontroller
