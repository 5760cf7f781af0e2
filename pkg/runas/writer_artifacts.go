package runas

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

// WriterArtifactsType is the component's type token.
const WriterArtifactsType = "ssm-runas:aws:WriterArtifacts"

// WriterArtifactsArgs configure one region's artifact bucket. The region is
// the one of the aws provider passed with pulumi.Provider: a Lambda's code
// must be in its own region.
type WriterArtifactsArgs struct {
	// BucketName is required: the bucket every member account in the region
	// reads the writer's zip from.
	BucketName string
	// OrganizationID is required: only this organization may read the bucket
	// (aws:PrincipalOrgID).
	OrganizationID string
	// Writer is required: the writer Lambda's zip.
	Writer artifact.Zip
	// ForceDestroy is optional, default false: the bucket is versioned and
	// keeps every writer zip, so destroying the stack fails until it is
	// emptied. True lets `pulumi destroy` delete the bucket with its objects.
	ForceDestroy bool
}

// WriterArtifacts is a private, versioned, encrypted bucket that the
// organization may read, holding the writer's zip. Old zips stay in the
// bucket (the object is retained on delete) so that a StackSet rollback to
// an earlier template still finds its code.
type WriterArtifacts struct {
	pulumi.ResourceState

	// Bucket is the bucket's name.
	Bucket pulumi.StringOutput `pulumi:"bucket"`
	// Key is the writer zip's key.
	Key pulumi.StringOutput `pulumi:"key"`

	ready []pulumi.Resource
}

// Ready returns the resources that must exist before anything runs the
// writer: the zip, the bucket policy that lets the organization read it,
// and the bucket's settings. Depend on these rather than on the component:
// a dependency on a component covers only the children the SDK has
// attached to it by then, which races with their registration.
func (a *WriterArtifacts) Ready() []pulumi.Resource {
	return append([]pulumi.Resource(nil), a.ready...)
}

func (a *WriterArtifactsArgs) validate() error {
	if a.BucketName == "" || a.OrganizationID == "" {
		return errors.New("NewWriterArtifacts: BucketName and OrganizationID are required")
	}
	if a.Writer.SHA256 == "" || a.Writer.Path == "" {
		return errors.New("NewWriterArtifacts: Writer is required (artifact.BuildWriter or artifact.FromFile)")
	}
	return nil
}

// NewWriterArtifacts registers the bucket, its settings and policy, and the
// writer's zip. Anything that runs the writer must depend on Ready().
func NewWriterArtifacts(ctx *pulumi.Context, name string, args *WriterArtifactsArgs, opts ...pulumi.ResourceOption) (*WriterArtifacts, error) {
	if args == nil {
		return nil, errors.New("NewWriterArtifacts: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &WriterArtifacts{}
	if err := ctx.RegisterComponentResource(WriterArtifactsType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket:       pulumi.String(args.BucketName),
		ForceDestroy: pulumi.Bool(args.ForceDestroy),
		Tags:         pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", args.BucketName, err)
	}
	after := func(deps ...pulumi.Resource) []pulumi.ResourceOption {
		return []pulumi.ResourceOption{parent, pulumi.DependsOn(deps)}
	}
	ownership, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, after(bucket)...)
	if err != nil {
		return nil, err
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, after(bucket)...)
	if err != nil {
		return nil, err
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, after(bucket)...)
	if err != nil {
		return nil, err
	}
	encryption, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, after(bucket)...)
	if err != nil {
		return nil, err
	}
	// The policy is not public (aws:PrincipalOrgID), but S3 evaluates it
	// after the public access block exists; keep the order explicit.
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: pulumi.String(string(policy.ArtifactBucketPolicy(args.BucketName, args.OrganizationID).JSON())),
	}, after(bucket, pab)...)
	if err != nil {
		return nil, err
	}
	// The key is content-addressed: a new writer is a new object, and the
	// old one stays for stacks that still point at it.
	obj, err := s3.NewBucketObjectv2(ctx, name+"-writer-"+shortDigest(args.Writer.SHA256), &s3.BucketObjectv2Args{
		Bucket:      bucket.ID(),
		Key:         pulumi.String(args.Writer.Key()),
		Source:      pulumi.NewFileAsset(args.Writer.Path),
		ContentType: pulumi.String("application/zip"),
		Tags:        pulumi.StringMap{"sha256": pulumi.String(args.Writer.SHA256)},
	}, append(after(bucket), pulumi.RetainOnDelete(true))...)
	if err != nil {
		return nil, err
	}
	comp.ready = []pulumi.Resource{bucket, ownership, pab, versioning, encryption, bucketPolicy, obj}
	comp.Bucket = bucket.Bucket
	comp.Key = obj.Key
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"bucket": comp.Bucket, "key": comp.Key}); err != nil {
		return nil, err
	}
	return comp, nil
}

// shortDigest keeps resource names readable: 12 hex digits tell writer
// builds apart.
func shortDigest(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
