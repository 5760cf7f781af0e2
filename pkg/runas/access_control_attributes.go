package runas

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssoadmin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// AccessControlAttributesType is the component's type token.
const AccessControlAttributesType = "ssm-runas:aws:AccessControlAttributes"

// AccessControlAttributesArgs configure Identity Center's ABAC attributes.
type AccessControlAttributesArgs struct {
	// InstanceARN is required.
	InstanceARN string
	// Region is required: where Identity Center is enabled.
	Region string
	// RunAsSource is required: ${path:...} of the single-valued attribute
	// that becomes the SSMSessionRunAs session tag.
	RunAsSource string
	// Others are optional: every other attribute the organization maps. The
	// ABAC configuration is one resource per instance; whatever is not listed
	// here is removed from it.
	Others []settings.AccessControlAttribute
}

// AccessControlAttributes is the instance's whole ABAC configuration, with
// SSMSessionRunAs in it.
type AccessControlAttributes struct {
	pulumi.ResourceState

	// Keys are the session tag keys the configuration emits.
	Keys pulumi.StringArrayOutput `pulumi:"keys"`
}

// NewAccessControlAttributes registers the ABAC configuration.
func NewAccessControlAttributes(ctx *pulumi.Context, name string, args *AccessControlAttributesArgs, opts ...pulumi.ResourceOption) (*AccessControlAttributes, error) {
	if args == nil {
		return nil, errors.New("NewAccessControlAttributes: args are required")
	}
	if args.InstanceARN == "" || args.Region == "" || args.RunAsSource == "" {
		return nil, errors.New("NewAccessControlAttributes: InstanceARN, Region and RunAsSource are required")
	}
	comp := &AccessControlAttributes{}
	if err := ctx.RegisterComponentResource(AccessControlAttributesType, name, comp, opts...); err != nil {
		return nil, err
	}
	provider, err := aws.NewProvider(ctx, name+"-"+args.Region, &aws.ProviderArgs{Region: pulumi.String(args.Region)}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	attrs := ssoadmin.InstanceAccessControlAttributesAttributeArray{attribute(settings.RunAsTagKey, args.RunAsSource)}
	keys := pulumi.StringArray{pulumi.String(settings.RunAsTagKey)}
	for _, o := range args.Others {
		attrs = append(attrs, attribute(o.Key, o.Source))
		keys = append(keys, pulumi.String(o.Key))
	}
	if _, err := ssoadmin.NewInstanceAccessControlAttributes(ctx, name+"-abac", &ssoadmin.InstanceAccessControlAttributesArgs{
		InstanceArn: pulumi.String(args.InstanceARN),
		Attributes:  attrs,
	}, pulumi.Parent(comp), pulumi.Provider(provider)); err != nil {
		return nil, err
	}
	comp.Keys = keys.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"keys": comp.Keys}); err != nil {
		return nil, err
	}
	return comp, nil
}

func attribute(key, source string) ssoadmin.InstanceAccessControlAttributesAttributeInput {
	return ssoadmin.InstanceAccessControlAttributesAttributeArgs{
		Key: pulumi.String(key),
		Values: ssoadmin.InstanceAccessControlAttributesAttributeValueArray{
			ssoadmin.InstanceAccessControlAttributesAttributeValueArgs{Sources: pulumi.StringArray{pulumi.String(source)}},
		},
	}
}
