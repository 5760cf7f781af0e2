// Package hostjoin builds what makes the per-user model work on a host: the
// host joins the Active Directory domain, SSSD resolves every person's own
// account, and the account satisfies what the SSM agent checks before it
// starts a Run As shell.
//
// What the agent needs, from its source (agent/session/shell/shell_unix.go):
// as root it runs `sh -c "id -u NAME"`, `id -g NAME` and `id NAME`, refuses
// uid or gid 0, and starts the shell with HOME=/home/NAME and no PAM
// session. Hence the choices rendered here:
//
//   - bare names resolve: use_fully_qualified_names = False, or a
//     default_domain_suffix of the joined domain;
//   - a mixed-case sAMAccountName resolves from the lower-cased tag, and
//     SSSD reports it in lower case (case_sensitive = False), so %u in
//     override_homedir = /home/%u is the same /home/NAME the agent sets;
//   - uid and gid are positive: ID mapping or RFC2307 attributes, with
//     min_id above local accounts;
//   - disabled accounts do not resolve at all: without PAM the AD access
//     checks never run for Session Manager, so the user search filters on
//     userAccountControl, and ldap_ignore_unreadable_references keeps groups
//     that list a filtered member resolvable (SSSD 2.7 or later);
//   - home directories are created by the association itself, because
//     pam_mkhomedir never runs without a PAM session: a helper lists the
//     members of the login and sudo groups with `getent group` (SSSD
//     expands nested groups; enumeration stays off), checks each with `id`
//     as the agent does, and creates missing homes from /etc/skel. A systemd
//     timer runs it every few minutes, so new members do not wait for the
//     association's schedule.
//
// Script renders the idempotent bash script a State Manager association
// runs on tagged instances, from typed, validated inputs (no text
// templates: `{{` would be read as an SSM document parameter). It installs
// the packages per distribution (dnf/yum or apt) and refuses SSSD older
// than 2.7; when the host's keytab does not already work it checks the
// domain is found through DNS and the join secret is readable and
// complete, all before it writes anything, so a host that cannot join is
// left as it was. Then it writes krb5.conf, joins with adcli, writes
// sssd.conf (0600), installs a sudoers drop-in per AD group after
// `visudo -cf` accepts it, and creates homes. The join password is read at
// run time from Secrets Manager with the instance's own credentials and
// travels through pipes only, from the AWS CLI through jq to adcli's
// --stdin-password: never in the document, an argument, a variable, the
// environment or the output.
//
// Section is the member template's part that deploys the script to every
// account and region: a Command document (the script as runCommand, run by
// the agent with sh -c, so its #!/bin/bash line makes it bash), a State
// Manager association on the perUser host tag, and a managed policy that
// lets the hosts' instance role read the join secret (attached by the
// owner of that role). Package member lists it among the member
// template's sections, so every program builds the same template.
//
// AWS::SSM::Document: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-document.html
// AWS::SSM::Association: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-association.html
// aws:runShellScript: https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html#aws-runShellScript
// Secrets Manager and KMS: https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
//
// SSSD AD provider: https://sssd.io/docs/ad/ad-introduction.html
// sssd-ad(5), sssd.conf(5), sssd-ldap(5) man pages.
// adcli: https://www.freedesktop.org/software/realmd/adcli/adcli.html
// krb5.conf: https://web.mit.edu/kerberos/krb5-latest/doc/admin/conf_files/krb5_conf.html
// sudoers drop-ins: https://www.sudo.ws/docs/man/sudoers.man/#Including_other_files_from_within_sudoers
// Seamless domain join secret: https://docs.aws.amazon.com/directoryservice/latest/admin-guide/seamlessly_join_linux_instance.html
package hostjoin
