package deploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Organization deploys what the per-role and per-user models deploy to the
// organization alike: the writer's zip in an org-readable bucket per
// region, the member template (the preferences writer and every section the
// configuration deploys) as a StackSet and, in the management account, as
// plain stacks, and the guardrail SCP on the provider of icRegion, which
// does not follow the StackSet's home region. The member template waits
// for dependsOn: resources its sections name (a role a trust policy
// trusts must exist before IAM accepts the policy).
func Organization(ctx *pulumi.Context, cfg *settings.Config, in Inputs, providers *AWSProviders, icRegion string, dependsOn ...pulumi.Resource) error {
	return OrganizationWith(ctx, cfg, in, providers, icRegion, OrganizationOptions{DependsOn: dependsOn})
}

// OrganizationOptions are the optional inputs of OrganizationWith.
type OrganizationOptions struct {
	// Parameters are optional: member template parameters whose values
	// exist only at deploy time (the join secret and DNS server of a domain
	// controller the same program builds). They go to the StackSet and the
	// management account's stacks next to the artifact parameters.
	Parameters pulumi.StringMap
	// DependsOn is optional: resources the member template's sections name.
	DependsOn []pulumi.Resource
}

// OrganizationWith is Organization with deploy-time template parameters.
//
// The member template stays one constant text, the one `runas stackset
// template` prints, and values known only at deploy time reach it as
// StackSet parameters rather than by rendering the template inside an
// Apply: a preview then shows the whole template even before the values
// exist (a template rendered in an Apply would be unknown until the domain
// controller's secret and instance exist, and would hide every other
// change to it), a change of those values is a parameter change and not a
// new template, and a second `pulumi up` compares the same text and the
// same stored outputs, so it reports nothing.
func OrganizationWith(ctx *pulumi.Context, cfg *settings.Config, in Inputs, providers *AWSProviders, icRegion string, opts OrganizationOptions) error {
	org := cfg.Organization
	dependsOn := opts.DependsOn
	tpl, err := member.Template(cfg)
	if err != nil {
		return err
	}
	if err := checkParameters(tpl, opts.Parameters); err != nil {
		return err
	}
	templateBody := string(tpl.JSON())
	parameters := pulumi.StringMap{
		cfn.ParamArtifactBucketPrefix: pulumi.String(org.ArtifactBucketPrefix),
		cfn.ParamArtifactKey:          pulumi.String(in.Writer.Key()),
	}
	for name, v := range opts.Parameters {
		parameters[name] = v
	}

	artifacts := map[string]*runas.WriterArtifacts{}
	var allArtifacts []pulumi.Resource
	buckets := pulumi.StringMap{}
	for _, region := range org.Regions {
		a, err := runas.NewWriterArtifacts(ctx, "artifacts-"+region, &runas.WriterArtifactsArgs{
			BucketName:     org.ArtifactBucket(region),
			OrganizationID: org.ID,
			Writer:         in.Writer,
			ForceDestroy:   cfg.Writer.ForceDestroy,
		}, pulumi.Provider(providers.In(region)))
		if err != nil {
			return fmt.Errorf("artifact bucket in %s: %w", region, err)
		}
		artifacts[region] = a
		allArtifacts = append(allArtifacts, a.Ready()...)
		buckets[region] = a.Bucket
	}
	ctx.Export("artifactBuckets", buckets)
	ctx.Export("writerArtifactKey", pulumi.String(in.Writer.Key()))

	ss := org.StackSet
	op := ss.OperationPreferences
	prefs, err := runas.NewOrgSessionPreferences(ctx, "session-preferences", &runas.OrgSessionPreferencesArgs{
		StackSetName:                 ss.Name,
		TemplateBody:                 templateBody,
		Parameters:                   parameters,
		Targets:                      org.Targets,
		Regions:                      org.Regions,
		CallAs:                       ss.CallAs,
		RetainStacksOnAccountRemoval: deref(ss.RetainStacksOnAccountRemoval),
		OperationPreferences: runas.StackSetOperationPreferences{
			MaxConcurrentPercentage:    deref(op.MaxConcurrentPercentage),
			FailureTolerancePercentage: deref(op.FailureTolerancePercentage),
			RegionConcurrencyType:      op.RegionConcurrencyType,
			ConcurrencyMode:            op.ConcurrencyMode,
		},
		DependsOn: append(allArtifacts, dependsOn...),
	}, pulumi.Provider(providers.In(org.HomeRegion)))
	if err != nil {
		return err
	}
	ctx.Export("stackSetName", prefs.StackSetName)

	// The StackSet never deploys to the management account: the same
	// template goes there as plain stacks.
	mgmtStacks := pulumi.StringMap{}
	if cfg.ConfigureManagementAccount() {
		for _, region := range org.Regions {
			st, err := runas.NewAccountSessionPreferences(ctx, "management-"+region, &runas.AccountSessionPreferencesArgs{
				StackName:    naming.ManagementStackName,
				TemplateBody: templateBody,
				Parameters:   parameters,
				DependsOn:    append(artifacts[region].Ready(), dependsOn...),
			}, pulumi.Provider(providers.Management(region)))
			if err != nil {
				return fmt.Errorf("management account stack in %s: %w", region, err)
			}
			mgmtStacks[region] = st.StackID
		}
	}
	ctx.Export("managementStacks", mgmtStacks)

	if cfg.GuardrailEnabled() {
		g, err := runas.NewSessionGuardrail(ctx, "guardrail", &runas.SessionGuardrailArgs{
			PolicyName: cfg.Guardrail.PolicyName,
			Targets:    org.Targets,
			SCP:        cfg.GuardrailSCPArgs(),
		}, pulumi.Provider(providers.Management(icRegion)))
		if err != nil {
			return err
		}
		ctx.Export("guardrailPolicyId", g.PolicyID)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// AccessControlAttributes deploys the Identity Center instance's ABAC
// configuration from the identityCenter section, adopting an existing one
// when adopt.accessControlAttributes says so.
func AccessControlAttributes(ctx *pulumi.Context, cfg *settings.Config, opts ...pulumi.ResourceOption) (*runas.AccessControlAttributes, error) {
	ic := cfg.IdentityCenter
	others := make([]runas.AccessControlAttribute, 0, len(ic.OtherAttributes))
	for _, o := range ic.OtherAttributes {
		others = append(others, runas.AccessControlAttribute{Key: o.Key, Source: o.Source})
	}
	abac, err := runas.NewAccessControlAttributes(ctx, "identity-center", &runas.AccessControlAttributesArgs{
		InstanceARN: ic.InstanceARN,
		RunAsSource: ic.RunAsSource,
		Others:      others,
		Adopt:       cfg.Adopt != nil && cfg.Adopt.AccessControlAttributes,
	}, opts...)
	if err != nil {
		return nil, err
	}
	ctx.Export("abacKeys", abac.Keys)
	return abac, nil
}

// checkParameters fails unless params names exactly the template's
// parameters that have no value before deploy time: those beyond the
// artifact parameters Organization sets itself.
func checkParameters(tpl cfn.Template, params pulumi.StringMap) error {
	var want, got []string
	for name := range tpl.Parameters {
		if name != cfn.ParamArtifactBucketPrefix && name != cfn.ParamArtifactKey {
			want = append(want, name)
		}
	}
	for name := range params {
		got = append(got, name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		return fmt.Errorf("member template parameters: the template needs [%s] at deploy time, the program gives [%s]",
			strings.Join(want, " "), strings.Join(got, " "))
	}
	return nil
}
