package runas

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudformation"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/naming"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// OrgSessionPreferencesType is the component's type token.
const OrgSessionPreferencesType = "ssm-runas:aws:OrgSessionPreferences"

// StackSet constants.
const (
	// PermissionModel: StackSets creates the roles it needs in every account
	// of the organization.
	PermissionModel = "SERVICE_MANAGED"
	// Capability the template needs: it creates an IAM role with a fixed name.
	CapabilityNamedIAM = "CAPABILITY_NAMED_IAM"
)

// OrgSessionPreferencesArgs configure the organization-wide rollout.
type OrgSessionPreferencesArgs struct {
	// Organization is required: targets, regions, StackSet settings. It must
	// come from settings.Load or settings.Parse (validated, defaults applied).
	Organization settings.Organization
	// Preferences is required: what every SSM-SessionManagerRunShell holds.
	Preferences sessiondoc.Preferences
	// Writer is required: the writer Lambda's zip.
	Writer artifact.Zip
	// HostAccounts is optional: the role-account association, deployed with
	// the preferences to every account (cfn.HostAccountsFor).
	HostAccounts *cfn.HostAccountsArgs
}

// OrgSessionPreferences rolls Session Manager preferences out to every
// account and region in scope.
type OrgSessionPreferences struct {
	pulumi.ResourceState

	// StackSetName is the StackSet's name.
	StackSetName pulumi.StringOutput `pulumi:"stackSetName"`
	// ArtifactBuckets maps each region to its artifact bucket.
	ArtifactBuckets pulumi.StringMapOutput `pulumi:"artifactBuckets"`
	// ArtifactKey is the writer zip's key in every bucket.
	ArtifactKey pulumi.StringOutput `pulumi:"artifactKey"`
	// ManagementStacks maps each region to the management account's stack id
	// (empty when the management account is not configured).
	ManagementStacks pulumi.StringMapOutput `pulumi:"managementStacks"`
}

// NewOrgSessionPreferences registers the component and its children.
func NewOrgSessionPreferences(ctx *pulumi.Context, name string, args *OrgSessionPreferencesArgs, opts ...pulumi.ResourceOption) (*OrgSessionPreferences, error) {
	if args == nil {
		return nil, errors.New("NewOrgSessionPreferences: args are required")
	}
	org := args.Organization
	if len(org.Regions) == 0 || len(org.Targets) == 0 || org.ArtifactBucketPrefix == "" || org.StackSet.Name == "" {
		return nil, errors.New("NewOrgSessionPreferences: Organization must be validated and defaulted (settings.Parse) before use")
	}
	if args.Writer.SHA256 == "" || args.Writer.Path == "" {
		return nil, errors.New("NewOrgSessionPreferences: Writer is required (runas.WriterArtifact)")
	}
	tpl, err := cfn.SessionPreferencesTemplate(&args.Preferences, args.HostAccounts)
	if err != nil {
		return nil, err
	}
	templateBody := string(tpl.JSON())
	parameters := pulumi.StringMap{
		cfn.ParamArtifactBucketPrefix: pulumi.String(org.ArtifactBucketPrefix),
		cfn.ParamArtifactKey:          pulumi.String(args.Writer.Key()),
	}

	comp := &OrgSessionPreferences{}
	if err := ctx.RegisterComponentResource(OrgSessionPreferencesType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// Artifact buckets, one per region: a Lambda's code must be in its own region.
	buckets := pulumi.StringMap{}
	objects := map[string]*s3.BucketObjectv2{}
	regional := map[string]*aws.Provider{}
	for _, region := range org.Regions {
		p, err := aws.NewProvider(ctx, name+"-"+region, &aws.ProviderArgs{Region: pulumi.String(region)}, parent)
		if err != nil {
			return nil, fmt.Errorf("provider for %s: %w", region, err)
		}
		regional[region] = p
		obj, err := newArtifactBucket(ctx, name+"-artifacts-"+region, org.ArtifactBucket(region), org.ID, args.Writer,
			parent, pulumi.Provider(p))
		if err != nil {
			return nil, fmt.Errorf("artifact bucket in %s: %w", region, err)
		}
		buckets[region] = pulumi.String(org.ArtifactBucket(region))
		objects[region] = obj
	}

	ss := org.StackSet
	op := ss.OperationPreferences
	home, ok := regional[org.HomeRegion]
	if !ok {
		return nil, fmt.Errorf("NewOrgSessionPreferences: HomeRegion %q is not one of the regions", org.HomeRegion)
	}
	stackSet, err := cloudformation.NewStackSet(ctx, name+"-stackset", &cloudformation.StackSetArgs{
		Name:            pulumi.String(ss.Name),
		Description:     pulumi.String("ssm-runas: Session Manager preferences with Run As in every account and region"),
		PermissionModel: pulumi.String(PermissionModel),
		CallAs:          pulumi.String(ss.CallAs),
		AutoDeployment: &cloudformation.StackSetAutoDeploymentArgs{
			Enabled:                      pulumi.Bool(true),
			RetainStacksOnAccountRemoval: pulumi.Bool(*ss.RetainStacksOnAccountRemoval),
		},
		// Queue operations instead of failing them with OperationInProgress
		// when several regions update at once.
		ManagedExecution: &cloudformation.StackSetManagedExecutionArgs{Active: pulumi.Bool(true)},
		Capabilities:     pulumi.StringArray{pulumi.String(CapabilityNamedIAM)},
		TemplateBody:     pulumi.String(templateBody),
		Parameters:       parameters,
		OperationPreferences: &cloudformation.StackSetOperationPreferencesArgs{
			MaxConcurrentPercentage:    pulumi.Int(*op.MaxConcurrentPercentage),
			FailureTolerancePercentage: pulumi.Int(*op.FailureTolerancePercentage),
			RegionConcurrencyType:      pulumi.String(op.RegionConcurrencyType),
		},
		Tags: pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, parent, pulumi.Provider(home))
	if err != nil {
		return nil, fmt.Errorf("stack set: %w", err)
	}

	targets := pulumi.ToStringArray(org.Targets)
	for _, region := range org.Regions {
		_, err := cloudformation.NewStackSetInstance(ctx, name+"-instances-"+region, &cloudformation.StackSetInstanceArgs{
			StackSetName:      stackSet.Name,
			Region:            pulumi.String(region),
			CallAs:            pulumi.String(ss.CallAs),
			DeploymentTargets: &cloudformation.StackSetInstanceDeploymentTargetsArgs{OrganizationalUnitIds: targets},
			// Operation preferences apply per region, and not to the
			// automatic deployments into accounts that join later.
			OperationPreferences: &cloudformation.StackSetInstanceOperationPreferencesArgs{
				MaxConcurrentPercentage:    pulumi.Int(*op.MaxConcurrentPercentage),
				FailureTolerancePercentage: pulumi.Int(*op.FailureTolerancePercentage),
				RegionConcurrencyType:      pulumi.String(op.RegionConcurrencyType),
				ConcurrencyMode:            pulumi.String(op.ConcurrencyMode),
			},
			RetainStack: pulumi.Bool(*ss.RetainStacksOnAccountRemoval),
		}, parent, pulumi.Provider(home), pulumi.DependsOn([]pulumi.Resource{objects[region]}))
		if err != nil {
			return nil, fmt.Errorf("stack set instances in %s: %w", region, err)
		}
	}

	// The StackSet never deploys to the management account: the same
	// template goes there as plain stacks, with the same upsert semantics.
	mgmtStacks := pulumi.StringMap{}
	if org.ManagementAccount.Configure == nil || *org.ManagementAccount.Configure {
		for _, region := range org.Regions {
			p := regional[region]
			if arn := org.ManagementAccount.AssumeRoleARN; arn != "" {
				p, err = aws.NewProvider(ctx, name+"-management-"+region, &aws.ProviderArgs{
					Region:     pulumi.String(region),
					AssumeRole: &aws.ProviderAssumeRoleArgs{RoleArn: pulumi.String(arn), SessionName: pulumi.String("ssm-runas")},
				}, parent)
				if err != nil {
					return nil, fmt.Errorf("management account provider for %s: %w", region, err)
				}
			}
			st, err := cloudformation.NewStack(ctx, name+"-management-"+region, &cloudformation.StackArgs{
				Name:         pulumi.String(naming.ManagementStackName),
				TemplateBody: pulumi.String(templateBody),
				Parameters:   parameters,
				Capabilities: pulumi.StringArray{pulumi.String(CapabilityNamedIAM)},
				OnFailure:    pulumi.String("ROLLBACK"),
				Tags:         pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
			}, parent, pulumi.Provider(p), pulumi.DependsOn([]pulumi.Resource{objects[region]}))
			if err != nil {
				return nil, fmt.Errorf("management account stack in %s: %w", region, err)
			}
			mgmtStacks[region] = st.ID().ToStringOutput()
		}
	}

	comp.StackSetName = stackSet.Name
	comp.ArtifactBuckets = buckets.ToStringMapOutput()
	comp.ArtifactKey = pulumi.String(args.Writer.Key()).ToStringOutput()
	comp.ManagementStacks = mgmtStacks.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"stackSetName":     comp.StackSetName,
		"artifactBuckets":  comp.ArtifactBuckets,
		"artifactKey":      comp.ArtifactKey,
		"managementStacks": comp.ManagementStacks,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// newArtifactBucket creates one region's private, versioned, encrypted
// bucket that the organization may read the writer's zip from, and uploads
// the zip. It returns the uploaded object.
func newArtifactBucket(ctx *pulumi.Context, name, bucketName, organizationID string, writer artifact.Zip, opts ...pulumi.ResourceOption) (*s3.BucketObjectv2, error) {
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket: pulumi.String(bucketName),
		Tags:   pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, opts...)
	if err != nil {
		return nil, err
	}
	child := append(opts[:len(opts):len(opts)], pulumi.DependsOn([]pulumi.Resource{bucket}))
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return nil, err
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, child...); err != nil {
		return nil, err
	}
	// The policy is not public (aws:PrincipalOrgID), but S3 evaluates it
	// after the public access block exists; keep the order explicit.
	if _, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: pulumi.String(string(policy.ArtifactBucketPolicy(bucketName, organizationID).JSON())),
	}, append(opts[:len(opts):len(opts)], pulumi.DependsOn([]pulumi.Resource{bucket, pab}))...); err != nil {
		return nil, err
	}
	return s3.NewBucketObjectv2(ctx, name+"-writer", &s3.BucketObjectv2Args{
		Bucket:      bucket.ID(),
		Key:         pulumi.String(writer.Key()),
		Source:      pulumi.NewFileAsset(writer.Path),
		ContentType: pulumi.String("application/zip"),
		Tags:        pulumi.StringMap{"sha256": pulumi.String(writer.SHA256)},
	}, child...)
}
