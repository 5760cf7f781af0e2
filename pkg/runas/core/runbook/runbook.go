// Package runbook writes the steps of the ssm-runas chain that no API can
// do, filled in from the configuration, as Markdown for a change ticket.
//
// IAM Identity Center: changing the identity source and enabling automatic
// provisioning are console-only:
// https://docs.aws.amazon.com/singlesignon/latest/userguide/manage-your-identity-source-idp.html
// https://docs.aws.amazon.com/singlesignon/latest/userguide/provision-automatically.html
package runbook

import (
	"errors"
	"fmt"
	"strings"

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

	w("# ssm-runas runbook: %s, Entra tenant %s\n\n", c.Organization.ID, e.TenantID)
	w("The steps of the chain no API can do, in order, for Identity Center instance `%s` (%s).\n", ic.InstanceARN, ic.Region)
	w("Run the commands from the repository checkout; `%s` is this configuration.\n\n", configPath)

	w("## 1. Deploy\n\n")
	w("```sh\npulumi config set --secret ssm-runas:scimToken <token>   # after step 3; any value the first time\npulumi up\npulumi stack output signingCertificateThumbprint\npulumi stack output servicePrincipalObjectId\npulumi stack output metadataUrl\n```\n\n")

	w("## 2. Switch the identity source to Entra ID (console only)\n\n")
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

	w("## 3. Turn on automatic provisioning (console only)\n\n")
	w("1. In Identity Center, Settings > Automatic provisioning > Enable. Copy the SCIM endpoint and the access token (shown once).\n")
	w("2. The endpoint must be `%s` (else update `entra.scim.endpoint`).\n", e.SCIM.Endpoint)
	w("3. Store the token as a secret and deploy: `pulumi config set --secret ssm-runas:scimToken <token>` then `pulumi up`.\n")
	w("   The token expires after a year: repeat this step before then.\n\n")

	w("## 4. Map the attribute and start provisioning\n\n")
	w("```sh\ngo run ./cmd/runas entra map-attribute --config %s --service-principal-id \"$(pulumi stack output servicePrincipalObjectId)\"          # review\n", configPath)
	w("go run ./cmd/runas entra map-attribute --config %s --service-principal-id \"$(pulumi stack output servicePrincipalObjectId)\" --apply --start\n```\n\n", configPath)
	w("This maps `%s` to `%s`, which Identity Center keeps at `%s`, the source of the `%s` session tag.\n\n",
		e.SCIM.SourceAttribute, e.SCIM.TargetAttribute, ic.RunAsSource, settings.RunAsTagKey)

	w("## 5. Write the role values\n\n")
	w("```sh\ngo run ./cmd/runas entra sync-attributes --config %s          # review the diff\ngo run ./cmd/runas entra sync-attributes --config %s --apply\n```\n\n", configPath, configPath)
	w("| role | Entra group | Linux user | precedence | permission set |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range c.RolesByPrecedence() {
		w("| %s | %s | %s | %d | %s |\n", r.Name, r.EntraGroup, r.LinuxUser, r.Precedence, r.PermissionSet.DisplayName())
	}
	w("\nPeople in no role group get `%s`, an account that exists on no host: Identity Center keeps a cleared attribute's old value, so clearing would not revoke. Run the sync on a schedule.\n\n", e.AttributeSync.RevokedValue)

	w("## 6. After any change of identity source: recreate the account assignments\n\n")
	w("Changing the identity source deletes the IAM SAML provider that the `AWSReservedSSO_*` roles trust, and sign-in to those accounts fails. Deleting and recreating the account assignments brings it back:\n\n")
	w("```sh\npulumi stack --show-urns | grep 'ssoadmin/accountAssignment:AccountAssignment' | awk '{print $NF}' > assignments.txt\npulumi up $(sed 's/^/--replace /' assignments.txt)\n```\n\n")

	w("## 7. Verify one person end to end\n\n")
	if len(c.Roles) > 0 {
		r := c.RolesByPrecedence()[0]
		w("1. Predict: `go run ./cmd/runas explain --config %s --user <upn> --groups %s` must say `lands as %s`.\n", configPath, r.EntraGroup, r.LinuxUser)
	}
	w("2. In Identity Center, Users > <the user> > Attributes: `costCenter` (or the mapped attribute) holds the value; a provisioning cycle takes up to 40 minutes.\n")
	w("3. Sign in through the AWS access portal, pick the role's permission set, and run `aws ssm start-session --target <instance id>` on an instance tagged `%s=%s`.\n",
		c.HostAccounts.TargetTagKey, c.HostAccounts.TargetTagValue)
	w("4. In the shell, `id -un` prints the expected Linux user. In CloudTrail, the `StartSession` event's user identity names the person.\n")
	w("5. Without the tag (e.g. a user whose value was never synced), `StartSession` is denied by `DenyStartSessionWithoutRunAsTag`, not silently opened as `%s`.\n",
		c.SessionPreferences.RunAsDefaultUser)
	return []byte(b.String()), nil
}
