// Package runbook writes the steps of the ssm-runas chain that no API can
// do, filled in from the configuration, as Markdown for a change ticket.
//
// The per-user models add the directory side (the join account, the join
// secret, hosts with SSSD 2.7 or later, the instance role's policy) and
// leave out the role value sync: each person's value is their own
// attribute, lower-cased by the provisioning mapping.
//
// IAM Identity Center: changing the identity source and enabling automatic
// provisioning are console-only:
// https://docs.aws.amazon.com/singlesignon/latest/userguide/manage-your-identity-source-idp.html
// https://docs.aws.amazon.com/singlesignon/latest/userguide/provision-automatically.html
package runbook

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Markdown renders the runbook for c. configPath is how the reader refers
// to the configuration file in commands.
func Markdown(c *settings.Config, configPath string) ([]byte, error) {
	if c.IdentityCenter == nil || c.Entra == nil {
		return nil, errors.New("the runbook needs the identityCenter and entra sections")
	}
	ic, e := c.IdentityCenter, c.Entra
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	console := "https://" + ic.Region + ".console.aws.amazon.com/singlesignon/home?region=" + ic.Region

	perUser := c.PerUserModel() && c.PerUser != nil
	n := 0
	h := func(title string) { n++; w("## %d. %s\n\n", n, title) }

	w("# ssm-runas runbook: %s, Entra tenant %s\n\n", c.Organization.ID, e.TenantID)
	w("The steps of the chain no API can do, in order, for Identity Center instance `%s` (%s).\n", ic.InstanceARN, ic.Region)
	w("Run the commands from the repository checkout; `%s` is this configuration.\n\n", configPath)

	if perUser {
		directoryPrerequisites(w, h, c)
	}
	h("Deploy")
	// The provisioning step comes two after this one.
	w("```sh\npulumi config set --secret ssm-runas:scimToken <token>   # after step %d; any value the first time\npulumi up\npulumi stack output signingCertificateThumbprint\npulumi stack output servicePrincipalObjectId\npulumi stack output metadataUrl\n```\n\n", n+2)

	if perUser {
		w("Then attach the managed policy `%s<region>` (stack output `%s` of each member account's stack) to the instance role of the hosts, and tag them `%s=%s`: the association `%s` joins them within its schedule (`%s`).\n\n",
			hostjoin.PolicyNamePrefix, hostjoin.OutputPolicyARN, c.PerUser.Hosts.TargetTagKey, c.PerUser.Hosts.TargetTagValue, hostjoin.AssociationName, c.PerUser.Hosts.Schedule)
	}
	h("Switch the identity source to Entra ID (console only)")
	w("1. Download the application's federation metadata from the stack output `metadataUrl` (over HTTPS, from login.microsoftonline.com).\n")
	w("2. Strip it to what Identity Center accepts. The signature must verify with the application's signing certificate, which is kept; the entity ID and the sign-on endpoints must be tenant `%s`'s on login.microsoftonline.com:\n\n", e.TenantID)
	w("   ```sh\n   go run ./cmd/runas metadata strip --in federationmetadata.xml --config %s \\\n     --trust-thumbprint \"$(pulumi stack output signingCertificateThumbprint)\" --out identity-center-idp.xml\n   ```\n\n", configPath)
	w("   Uploading the unstripped file fails with only \"Retry Failed Steps\". For a tenant in Azure Government or Microsoft Azure operated by 21Vianet, add `--cloud usgov` or `--cloud china`.\n")
	w("3. In [Identity Center](%s), Settings > Identity source > Actions > Change identity source > External identity provider.\n", console)
	w("4. Check that the service provider metadata Identity Center shows matches the configuration:\n")
	w("   - issuer URL `%s`\n", e.IdentifierURI)
	for _, u := range e.ACSURLs {
		w("   - ACS URL `%s`\n", u)
	}
	w("   If they differ, fix `entra.identifierUri` / `entra.acsUrls` and `pulumi up` before going on.\n")
	w("5. Upload `identity-center-idp.xml` as the IdP SAML metadata, review, type ACCEPT, and change the identity source.\n\n")

	h("Turn on automatic provisioning (console only)")
	w("1. In Identity Center, Settings > Automatic provisioning > Enable. Copy the SCIM endpoint and the access token (shown once).\n")
	w("2. The endpoint must be `%s` (else update `entra.scim.endpoint`).\n", e.SCIM.Endpoint)
	w("3. Store the token as a secret and deploy: `pulumi config set --secret ssm-runas:scimToken <token>` then `pulumi up`.\n")
	w("   The token expires after a year: repeat this step before then.\n\n")

	h("Map the attribute and start provisioning")
	w("```sh\ngo run ./cmd/runas entra map-attribute --config %s --service-principal-id \"$(pulumi stack output servicePrincipalObjectId)\"          # review\n", configPath)
	w("go run ./cmd/runas entra map-attribute --config %s --service-principal-id \"$(pulumi stack output servicePrincipalObjectId)\" --apply --start\n```\n\n", configPath)
	source := "`" + e.SCIM.SourceAttribute + "`"
	if e.SCIM.Mapping == settings.MappingLowercase {
		source = "the expression `ToLower([" + e.SCIM.SourceAttribute + "], )`"
	}
	w("This maps %s to `%s`, which Identity Center keeps at `%s`, the source of the `%s` session tag.\n\n",
		source, e.SCIM.TargetAttribute, ic.RunAsSource, settings.RunAsTagKey)
	if perUser {
		w("There is no value to write: each person's value is their own `%s`, lower-cased on the way because Linux names are lower case and `Alice` in AD must arrive as `alice`. Nobody edits it in Entra; it follows the directory. Check the values before people sign in:\n\n", e.SCIM.SourceAttribute)
		w("```sh\ngo run ./cmd/runas explain --config %s --user <upn> --directory-value <their %s> --others <values of everyone else>\ngo run ./cmd/runas audit --config %s      # every assigned person: one valid, unique, current value\n```\n\n", configPath, e.SCIM.SourceAttribute, configPath)
		w("A value that is no Linux name (`john.smith`: `.` is refused by the agent's check), a reserved one (`admin`, `ec2-user`, ...) or two people with one value must be fixed in AD. Identity Center keeps a value Entra clears: to revoke someone, disable the AD account (it then resolves on no host) and remove their group assignments.\n\n")
	} else {
		roleValues(w, h, c, configPath)
	}
	h("After any change of identity source: recreate the account assignments")
	w("Changing the identity source deletes the IAM SAML provider that the `AWSReservedSSO_*` roles trust, and sign-in to those accounts fails. Deleting and recreating the account assignments brings it back:\n\n")
	w("```sh\npulumi stack --show-urns | grep 'ssoadmin/accountAssignment:AccountAssignment' | awk '{print $NF}' > assignments.txt\npulumi up $(sed 's/^/--replace /' assignments.txt)\n```\n\n")

	h("Verify one person end to end")
	tagKey, tagValue := c.HostAccounts.TargetTagKey, c.HostAccounts.TargetTagValue
	if perUser {
		tagKey, tagValue = c.PerUser.Hosts.TargetTagKey, c.PerUser.Hosts.TargetTagValue
		w("1. Predict: `go run ./cmd/runas explain --config %s --user <upn> --directory-value <their %s>` must say `lands as <their name in lower case>`.\n", configPath, e.SCIM.SourceAttribute)
	} else if len(c.Roles) > 0 {
		r := c.RolesByPrecedence()[0]
		w("1. Predict: `go run ./cmd/runas explain --config %s --user <upn> --groups %s` must say `lands as %s`.\n", configPath, r.EntraGroup, r.LinuxUser)
	}
	w("2. In Identity Center, Users > <the user> > Attributes: `costCenter` (or the mapped attribute) holds the value; a provisioning cycle takes up to 40 minutes.\n")
	pick, never := "the role's permission set", "synced"
	if perUser {
		pick, never = "a permission set assigned to one of their groups", "provisioned"
	}
	w("3. Sign in through the AWS access portal, pick %s, and run `aws ssm start-session --target <instance id>` on an instance tagged `%s=%s`.\n", pick, tagKey, tagValue)
	if perUser {
		w("4. In the shell, `id -un` prints the person's own name, `pwd` is `/home/<name>`, and `sudo -l` lists exactly the rules of their AD groups. In CloudTrail, the `StartSession` event's user identity names the same person.\n")
	} else {
		w("4. In the shell, `id -un` prints the expected Linux user. In CloudTrail, the `StartSession` event's user identity names the person.\n")
	}
	w("5. Without the tag (e.g. a user whose value was never %s), `StartSession` is denied by `DenyStartSessionWithoutRunAsTag`, not silently opened as `%s`.\n",
		never, c.SessionPreferences.RunAsDefaultUser)
	return []byte(b.String()), nil
}

// roleValues is the per-role step that writes each person's role value.
func roleValues(w func(string, ...any), h func(string), c *settings.Config, configPath string) {
	e := c.Entra
	h("Write the role values")
	w("```sh\ngo run ./cmd/runas entra sync-attributes --config %s          # review the diff\ngo run ./cmd/runas entra sync-attributes --config %s --apply\n```\n\n", configPath, configPath)
	w("| role | Entra group | Linux user | precedence | permission set |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range c.RolesByPrecedence() {
		w("| %s | %s | %s | %d | %s |\n", r.Name, r.EntraGroup, r.LinuxUser, r.Precedence, r.PermissionSet.DisplayName())
	}
	w("\nPeople in no role group get `%s`, an account that exists on no host: Identity Center keeps a cleared attribute's old value, so clearing would not revoke. Run the sync on a schedule.\n\n", e.AttributeSync.RevokedValue)
}

// directoryPrerequisites are the per-user models' steps on the directory
// side, before anything is deployed.
func directoryPrerequisites(w func(string, ...any), h func(string), c *settings.Config) {
	p := c.PerUser
	d := p.Domain
	h("Prepare the directory and the hosts")
	if d.FromDomainControllerStack {
		w("The domain, its DNS servers and the join secret come from the domain controller this deployment builds.\n\n")
	} else {
		w("1. **Join account.** An AD account allowed to create computer objects in `%s` (delegate \"Create Computer objects\" on that OU, or rely on the default quota of 10 machines per user in the Computers container). Give it a long random password and nothing else.\n", joinOU(p))
		w("2. **Join secret.** Store it in Secrets Manager as `%s` with the JSON keys `%s` and `%s`:\n\n", d.JoinSecretARN, settings.JoinSecretUsernameKey, settings.JoinSecretPasswordKey)
		w("   ```sh\n   aws secretsmanager put-secret-value --secret-id %s \\\n     --secret-string file://join.json   # {\"%s\": \"svc-join\", \"%s\": \"...\"}\n   ```\n\n", d.JoinSecretARN, settings.JoinSecretUsernameKey, settings.JoinSecretPasswordKey)
		w("   Hosts in other accounts read it across accounts: encrypt it with a customer managed key whose key policy lets the member accounts decrypt through Secrets Manager, and give the secret a resource policy allowing `secretsmanager:GetSecretValue` to the organization (`aws:PrincipalOrgID` %s). The AWS managed key cannot be used across accounts.\n", c.Organization.ID)
		w("3. **DNS.** Hosts find the domain controllers through DNS: the VPCs' resolvers must forward `%s` to %s (a Route 53 Resolver outbound rule shared with the organization, or DHCP options).\n", d.Name, strings.Join(d.DNSServers, ", "))
	}
	w("4. **Entra Connect / Cloud Sync** syncs each person's `%s` and the AD groups that get permission sets; the groups %s are AD groups the hosts read directly.\n", p.UserSource, quoteAll(append(slices.Clone(p.LoginGroups), sudoGroups(p)...)))
	w("5. **Hosts** run SSSD 2.7 or later (Amazon Linux 2023, RHEL 8.7+/9, Debian 12, Ubuntu 24.04); the association refuses older SSSD (Amazon Linux 2, Ubuntu 22.04). It installs what is missing: `%s` (dnf/yum) or `%s` (apt), and the AWS CLI v2 where none is installed, so hosts need a way to the package repositories. One run may take up to %d seconds.\n",
		strings.Join(hostjoin.RPMPackages, " "), strings.Join(hostjoin.DebPackages, " "), hostjoin.TimeoutSeconds)
	w("6. **Instance role.** The hosts' instance profile needs `AmazonSSMManagedInstanceCore` and the managed policy `%s<region>` the member template creates in each account (reading the join secret, and decrypting it through Secrets Manager only). Attach it after the first deployment (step 2).\n\n", hostjoin.PolicyNamePrefix)
}

func joinOU(p *settings.PerUser) string {
	if p.JoinOU != "" {
		return p.JoinOU
	}
	return "CN=Computers," + settings.BaseDN(p.Domain.Name)
}

func sudoGroups(p *settings.PerUser) []string {
	var out []string
	for _, s := range p.Sudo {
		out = append(out, s.Group)
	}
	return out
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}
