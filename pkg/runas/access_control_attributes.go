package runas

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssoadmin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// AccessControlAttributesType is the component's type token.
const AccessControlAttributesType = "ssm-runas:aws:AccessControlAttributes"

// RunAsTagKey is the session tag Session Manager reads the Run As user from.
const RunAsTagKey = settings.RunAsTagKey

// AccessControlAttribute is one ABAC attribute: a session tag key and the
// identity store attribute it is read from.
type AccessControlAttribute struct {
	// Key is required: the session tag key.
	Key string
	// Source is required: ${path:...} of a single-valued attribute.
	Source string
}

// AccessControlAttributesArgs configure Identity Center's ABAC
// configuration, in the region of the aws provider passed with
// pulumi.Provider (where Identity Center is enabled).
type AccessControlAttributesArgs struct {
	// InstanceARN is required.
	InstanceARN string
	// RunAsSource is required: ${path:...} of the single-valued attribute
	// that becomes the SSMSessionRunAs session tag.
	RunAsSource string
	// Others are optional: every other attribute the organization maps. The
	// ABAC configuration is one resource per instance; whatever is not listed
	// here is removed from it.
	Others []AccessControlAttribute
	// Adopt is optional, default false: the instance already has an ABAC
	// configuration (Identity Center allows one, and creating a second
	// fails), so import it instead. Pulumi refuses an import whose inputs
	// differ from what exists: the attributes must equal the existing ones
	// in the run that imports; change them in a later run.
	Adopt bool
}

// AccessControlAttributes is the instance's whole ABAC configuration, with
// SSMSessionRunAs in it.
type AccessControlAttributes struct {
	pulumi.ResourceState

	// Keys are the session tag keys the configuration emits.
	Keys pulumi.StringArrayOutput `pulumi:"keys"`

	attributes *ssoadmin.InstanceAccessControlAttributes
}

// Ready returns the ABAC configuration itself, for what must wait until
// Identity Center emits the session tags. Depend on it rather than on the
// component: a dependency on a component covers only the children the SDK
// has attached to it by then, which races with their registration.
func (a *AccessControlAttributes) Ready() []pulumi.Resource {
	return []pulumi.Resource{a.attributes}
}

// NewAccessControlAttributes registers the ABAC configuration.
func NewAccessControlAttributes(ctx *pulumi.Context, name string, args *AccessControlAttributesArgs, opts ...pulumi.ResourceOption) (*AccessControlAttributes, error) {
	if args == nil {
		return nil, errors.New("NewAccessControlAttributes: args are required")
	}
	if args.InstanceARN == "" || args.RunAsSource == "" {
		return nil, errors.New("NewAccessControlAttributes: InstanceARN and RunAsSource are required")
	}
	attrs := ssoadmin.InstanceAccessControlAttributesAttributeArray{attribute(RunAsTagKey, args.RunAsSource)}
	keys := pulumi.StringArray{pulumi.String(RunAsTagKey)}
	seen := map[string]bool{RunAsTagKey: true}
	for _, o := range args.Others {
		if o.Key == "" || o.Source == "" || seen[o.Key] {
			return nil, fmt.Errorf("NewAccessControlAttributes: attribute %q: every key needs a source and may appear once", o.Key)
		}
		seen[o.Key] = true
		attrs = append(attrs, attribute(o.Key, o.Source))
		keys = append(keys, pulumi.String(o.Key))
	}
	comp := &AccessControlAttributes{}
	if err := ctx.RegisterComponentResource(AccessControlAttributesType, name, comp, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(comp)}
	if args.Adopt {
		// The configuration's id is the instance ARN.
		child = append(child, pulumi.Import(pulumi.ID(args.InstanceARN)))
	}
	attributes, err := ssoadmin.NewInstanceAccessControlAttributes(ctx, name+"-abac", &ssoadmin.InstanceAccessControlAttributesArgs{
		InstanceArn: pulumi.String(args.InstanceARN),
		Attributes:  attrs,
	}, child...)
	if err != nil {
		return nil, err
	}
	comp.attributes = attributes
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
