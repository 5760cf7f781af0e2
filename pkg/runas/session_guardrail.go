package runas

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/organizations"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// SessionGuardrailType is the component's type token.
const SessionGuardrailType = "ssm-runas:aws:SessionGuardrail"

// SCPType is the Organizations policy type of service control policies.
const SCPType = "SERVICE_CONTROL_POLICY"

// SessionGuardrailArgs configure the SCP, created through the aws provider
// passed with pulumi.Provider (the management account's, or a delegated
// administrator's for Organizations policies).
type SessionGuardrailArgs struct {
	// PolicyName is required.
	PolicyName string
	// Targets is required: the root or OU ids to attach the SCP to (the same
	// targets as the StackSet).
	Targets []string
	// SCP is required: the arguments of the policy (policy.GuardrailSCP),
	// e.g. settings.Config.GuardrailSCPArgs.
	SCP policy.SCPArgs
}

// SessionGuardrail is the SCP that locks SSM-SessionManagerRunShell, and its
// attachments.
type SessionGuardrail struct {
	pulumi.ResourceState

	// PolicyID is the SCP's id (p-...).
	PolicyID pulumi.StringOutput `pulumi:"policyId"`
}

// NewSessionGuardrail registers the SCP and attaches it to every target.
func NewSessionGuardrail(ctx *pulumi.Context, name string, args *SessionGuardrailArgs, opts ...pulumi.ResourceOption) (*SessionGuardrail, error) {
	if args == nil {
		return nil, errors.New("NewSessionGuardrail: args are required")
	}
	if args.PolicyName == "" || len(args.Targets) == 0 {
		return nil, errors.New("NewSessionGuardrail: PolicyName and Targets are required")
	}
	doc, err := policy.GuardrailSCP(args.SCP)
	if err != nil {
		return nil, fmt.Errorf("NewSessionGuardrail: %w", err)
	}
	comp := &SessionGuardrail{}
	if err := ctx.RegisterComponentResource(SessionGuardrailType, name, comp, opts...); err != nil {
		return nil, err
	}
	scp, err := organizations.NewPolicy(ctx, name+"-scp", &organizations.PolicyArgs{
		Name:        pulumi.String(args.PolicyName),
		Description: pulumi.String("ssm-runas: only the StackSet and the preferences writer may change " + sessiondoc.DocumentName),
		Type:        pulumi.String(SCPType),
		Content:     pulumi.String(string(doc.JSON())),
		Tags:        pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, fmt.Errorf("SCP: %w", err)
	}
	for _, target := range args.Targets {
		if _, err := organizations.NewPolicyAttachment(ctx, name+"-attach-"+target, &organizations.PolicyAttachmentArgs{
			PolicyId: scp.ID().ToStringOutput(),
			TargetId: pulumi.String(target),
		}, pulumi.Parent(comp)); err != nil {
			return nil, fmt.Errorf("attaching the SCP to %s: %w", target, err)
		}
	}
	comp.PolicyID = scp.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"policyId": comp.PolicyID}); err != nil {
		return nil, err
	}
	return comp, nil
}
