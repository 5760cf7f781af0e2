package deploy

import (
	"strings"

	cloudbroker "github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Actors of a deployment step.
const (
	ByPerson = "person"
	ByPulumi = "pulumi up"
	ByRunas  = "runas"
	ByWait   = "wait"
)

// Step is one step of the deployment order.
type Step struct {
	// By is who acts: a person (console), `pulumi up`, the runas CLI, or
	// nobody (waiting for Entra's provisioning).
	By string `json:"by"`
	// What happens, in one line.
	What string `json:"what"`
}

// DeploymentOrder is the order a new organization follows for model, from
// nothing to Run As in every account. It matches what the program does on
// each `pulumi up`: a run deploys everything whose prerequisites exist and
// reports what is still waiting (stack outputs nextSteps and missingGroups),
// so the same stack is run again after each step a person takes.
// docs/deploy.md explains each step.
func DeploymentOrder(model settings.Model) []Step { return deploymentOrder(model, false) }

// DeploymentOrderFor is DeploymentOrder for a configuration: with a broker
// section (the per-permission-set model) the first run deploys the session
// broker too, and people set up `runas connect` at the end (docs/broker.md).
func DeploymentOrderFor(cfg *settings.Config) []Step {
	return deploymentOrder(cfg.Model, cfg.Broker != nil)
}

func deploymentOrder(model settings.Model, broker bool) []Step {
	dc := model == settings.ModelDomainController
	perUser := model == settings.ModelPerUser || dc
	groups, values := "the role groups (roles[].entraGroup)", "runas entra map-attribute --config <file> --service-principal-id <servicePrincipalObjectId> --apply --start; runas entra sync-attributes --config <file> --apply"
	if perUser {
		groups = "the groups of perUser.permissionSets[].entraGroup"
		values = "runas entra map-attribute --config <file> --service-principal-id <servicePrincipalObjectId> --apply --start (the lower-casing expression of perUser.userSource; each person's own value, no sync)"
	}
	firstRun := "first run: Entra application (SAML, reply URLs, identifier URI, signing certificate, groups assigned), artifact buckets, StackSet instances, management-account stacks, SCP, ABAC configuration, permission sets; no provisioning job (no SCIM token yet) and no account assignments (no groups in Identity Center yet)"
	if broker {
		firstRun += "; and, before the StackSet and the management-account stacks (their session role trusts it), the session broker in the management account: its role, function and IAM-authenticated URL (stack output brokerUrl); the permission sets of broker.permissionSets get the broker callers' policy instead of the session policy"
	}
	if dc {
		firstRun = "first run: the network (or domainController.network), the domain controller, its generated secrets (the join secret with a key the organization may use through Secrets Manager), the demo host and its join association; and the per-user deployment on that domain: " +
			strings.TrimPrefix(firstRun, "first run: ") + "; the StackSet and management-account stacks get the domain controller's join secret and DNS address as parameters"
	}
	var steps []Step
	if perUser && !dc {
		steps = append(steps, Step{ByPerson, "the directory: a join account delegated on perUser.joinOu, its password in the Secrets Manager secret perUser.domain.joinSecretArn, DNS to the domain from the VPCs, hosts with SSSD 2.7 or later tagged perUser.hosts.targetTagKey (runas runbook)"})
	}
	steps = append(steps,
		Step{ByPerson, "enable IAM Identity Center in identityCenter.region; create " + groups + " as Entra security groups"},
		Step{ByPerson, "Identity Center > Settings > Identity source > Change identity source > External identity provider: copy the issuer URL and ACS URL into entra.identifierUri and entra.acsUrls (keep the wizard open)"},
		Step{ByRunas, "runas validate --config <file>; put the same settings under ssm-runas:settings in Pulumi.<stack>.yaml (an existing gallery application or ABAC configuration goes under adopt:)"},
		Step{ByPulumi, firstRun},
	)
	if dc {
		steps = append(steps,
			Step{ByWait, "first boot installs and promotes the domain (windows: 10-15 minutes; samba: about a minute), the second seeds it and delegates the join account (5-10 minutes); the stack output statusParameter reads complete (runas audit --stack <stack> reports it)"},
			Step{ByWait, "the demo host's association joins it to the domain on its schedule (nextSteps runs it at once)"},
		)
	}
	steps = append(steps,
		Step{ByPerson, "make the new signing certificate the active one: set preferredTokenSigningKeyThumbprint (stack output activateSigningCertificate)"},
		Step{ByRunas, "runas metadata strip --in <download of metadataUrl> --config <file> --trust-thumbprint <signingCertificateThumbprint> --out identity-center.xml; upload it in the Identity Center wizard and confirm (runas runbook)"},
		Step{ByPerson, "Identity Center > Settings > Automatic provisioning > Enable; pulumi config set --secret ssm-runas:scimToken <token> (entra.scim.endpoint must match the endpoint shown)"},
		Step{ByPulumi, "second run: stores the SCIM endpoint and token, creates the provisioning job, which starts"},
		Step{ByRunas, values},
		Step{ByWait, "Entra provisions the groups and their members into Identity Center (a provisioning cycle, up to 40 minutes)"},
		Step{ByPulumi, "third run: assigns each permission set to its group in every account (missingGroups is empty); from now on a run without changes reports none"},
	)
	if dc {
		steps = append(steps,
			Step{ByPerson, "member accounts' hosts: attach the managed policy ssm-runas-domain-join-<region> (each member stack's output DomainJoinPolicyArn) to their instance role, give their VPCs DNS for the domain and routes to the domain controller (a Route 53 Resolver rule shared through RAM, peering or a transit gateway), and list their CIDRs in domainController.network.clientCidrs"},
			Step{ByPerson, "open a session on the demo host as a seeded person: runas explain --config <file> --user <name> --directory-value <name>, then aws ssm start-session --target <demoHostInstanceId>"},
		)
	} else if perUser {
		steps = append(steps, Step{ByPerson, "attach the managed policy ssm-runas-domain-join-<region> (each member stack's output DomainJoinPolicyArn) to the hosts' instance role, so the join association can read the join secret"})
	}
	if broker {
		steps = append(steps,
			Step{ByRunas, "runas explain --config <file> --user <person>: the Linux user each permission set gives through the broker, or why the broker refuses"},
			Step{ByPerson, "people of broker.permissionSets install the session-manager-plugin, export " + cloudbroker.URLEnv + "=<brokerUrl>, and run runas connect --target <instance id> --profile <their Identity Center profile>; the other permission sets (break-glass) keep aws ssm start-session"},
		)
	}
	return append(steps, Step{ByRunas, "runas audit --config <file>"})
}
