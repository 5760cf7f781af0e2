package runas

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudformation"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccountSessionPreferencesType is the component's type token.
const AccountSessionPreferencesType = "ssm-runas:aws:AccountSessionPreferences"

// AccountSessionPreferencesArgs configure the member template as a plain
// stack in one account and region: the account and region of the aws
// provider passed with pulumi.Provider. It serves the management account,
// which a service-managed StackSet never deploys to.
type AccountSessionPreferencesArgs struct {
	// StackName is required.
	StackName string
	// TemplateBody is required: the same template the StackSet deploys.
	TemplateBody string
	// Parameters is optional: the template's parameters, some of which
	// may be known only at deploy time (outputs of other resources).
	Parameters pulumi.StringMap
	// DependsOn is optional: what must exist first, such as the region's
	// WriterArtifacts.
	DependsOn []pulumi.Resource
}

// AccountSessionPreferences is the member template deployed to one account
// and region directly, with the same upsert semantics as the StackSet.
type AccountSessionPreferences struct {
	pulumi.ResourceState

	// StackID is the stack's id.
	StackID pulumi.StringOutput `pulumi:"stackId"`
}

// NewAccountSessionPreferences registers the stack.
func NewAccountSessionPreferences(ctx *pulumi.Context, name string, args *AccountSessionPreferencesArgs, opts ...pulumi.ResourceOption) (*AccountSessionPreferences, error) {
	if args == nil {
		return nil, errors.New("NewAccountSessionPreferences: args are required")
	}
	if args.StackName == "" || args.TemplateBody == "" {
		return nil, errors.New("NewAccountSessionPreferences: StackName and TemplateBody are required")
	}
	comp := &AccountSessionPreferences{}
	if err := ctx.RegisterComponentResource(AccountSessionPreferencesType, name, comp, opts...); err != nil {
		return nil, err
	}
	st, err := cloudformation.NewStack(ctx, name+"-stack", &cloudformation.StackArgs{
		Name:         pulumi.String(args.StackName),
		TemplateBody: pulumi.String(args.TemplateBody),
		Parameters:   args.Parameters,
		Capabilities: pulumi.StringArray{pulumi.String(CapabilityNamedIAM)},
		OnFailure:    pulumi.String("ROLLBACK"),
		Tags:         pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, pulumi.Parent(comp), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", args.StackName, err)
	}
	comp.StackID = st.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"stackId": comp.StackID}); err != nil {
		return nil, err
	}
	return comp, nil
}
