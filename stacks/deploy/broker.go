package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// SessionBroker deploys the broker section: the function, its role, URL
// and resource policy in the management account, in broker.region, on
// providers.Management. It exports brokerUrl and brokerRoleArn. The
// member template's session role trusts the broker's role, so pass
// Ready() of the result to Organization.
func SessionBroker(ctx *pulumi.Context, cfg *settings.Config, in Inputs, providers *AWSProviders) (*runas.SessionBroker, error) {
	b := cfg.Broker
	if b == nil {
		return nil, errors.New("session broker: the configuration has no broker section")
	}
	if in.Broker.SHA256 == "" {
		return nil, errors.New("session broker: the broker's zip is required")
	}
	sb, err := runas.NewSessionBroker(ctx, "session-broker", &runas.SessionBrokerArgs{
		FunctionName: b.FunctionName,
		Zip:          in.Broker,
		Rules:        cfg.BrokerRules(),
		Policies:     cfg.BrokerRoleArgs(),
		Partition:    cfg.Partition(),
	}, pulumi.Provider(providers.Management(b.Region)))
	if err != nil {
		return nil, err
	}
	ctx.Export("brokerUrl", sb.URL)
	ctx.Export("brokerRoleArn", sb.RoleARN)
	return sb, nil
}

// CallerPolicy is the inline policy of a permission set the broker serves
// (brokerpolicy.CallerPolicy, with the role's allowRunCommands and the
// sessions' KMS key), or nil when people with the permission set start
// sessions themselves.
func CallerPolicy(cfg *settings.Config, role settings.Role) (*policy.Document, error) {
	if !cfg.BrokerServes(role.PermissionSet.Name) {
		return nil, nil
	}
	doc, err := brokerpolicy.CallerPolicy(cfg.BrokerCallerArgs(role.PermissionSet.AllowRunCommands))
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", role.Name, err)
	}
	return &doc, nil
}

// BrokerNextSteps say how people reach the broker, and name the permission
// sets the broker serves that this stack does not manage.
func BrokerNextSteps(cfg *settings.Config, url pulumi.StringOutput) []pulumi.StringInput {
	if cfg.Broker == nil {
		return nil
	}
	next := []pulumi.StringInput{url.ApplyT(BrokerClientSetup).(pulumi.StringOutput)}
	if unmanaged := BrokerUnmanagedPermissionSets(cfg); len(unmanaged) > 0 {
		next = append(next, pulumi.String(fmt.Sprintf("permission sets served by the broker but not managed by this stack: %s; give each the broker callers' policy (brokerpolicy.CallerPolicy) in place of any policy allowing ssm:StartSession, or their people bypass the broker",
			strings.Join(unmanaged, ", "))))
	}
	return next
}

// BrokerClientSetup is what people do once to reach the broker at url.
func BrokerClientSetup(url string) string {
	return fmt.Sprintf("session broker: people install the session-manager-plugin, export %s=%s (or pass --broker-url), sign in with aws sso login --profile <profile>, and run runas connect --target <instance id> --profile <profile>",
		broker.URLEnv, url)
}

// BrokerUnmanagedPermissionSets are the permission sets the broker serves
// that no role of the configuration creates: this stack cannot put the
// broker callers' policy on them.
func BrokerUnmanagedPermissionSets(cfg *settings.Config) []string {
	if cfg.Broker == nil {
		return nil
	}
	var managed, out []string
	for _, r := range cfg.Roles {
		if r.PermissionSet.Managed() {
			managed = append(managed, r.PermissionSet.Name)
		}
	}
	for _, ps := range cfg.Broker.PermissionSets {
		if !slices.Contains(managed, ps.Name) {
			out = append(out, ps.Name)
		}
	}
	return out
}
