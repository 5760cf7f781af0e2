package deploy

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWSSettings are the stack's aws provider settings (the aws:* stack
// config). Explicit providers do not read the stack configuration: only
// the default provider does. Every provider the program creates starts
// from these, so aws:profile or aws:assumeRole reach every region.
type AWSSettings struct {
	Profile                   string
	SharedConfigFiles         []string
	SharedCredentialsFiles    []string
	AssumeRole                *AssumeRole
	AllowedAccountIDs         []string
	ForbiddenAccountIDs       []string
	StsRegion                 string
	MaxRetries                int
	RetryMode                 string
	SkipCredentialsValidation bool
	SkipRequestingAccountID   bool
	SkipMetadataAPICheck      bool
	S3UsePathStyle            bool
	// AccessKey, SecretKey and Token are static credentials; they are
	// passed as secrets.
	AccessKey, SecretKey, Token string
	DefaultTags                 map[string]string
}

// AssumeRole is a role every provider assumes.
type AssumeRole struct {
	RoleARN     string `json:"roleArn"`
	SessionName string `json:"sessionName,omitempty"`
	ExternalID  string `json:"externalId,omitempty"`
	Duration    string `json:"duration,omitempty"`
}

// providerArgs returns the provider arguments for region.
func (s AWSSettings) providerArgs(region string) *aws.ProviderArgs {
	a := &aws.ProviderArgs{Region: pulumi.String(region)}
	str := func(v string) pulumi.StringPtrInput {
		if v == "" {
			return nil
		}
		return pulumi.String(v)
	}
	secret := func(v string) pulumi.StringPtrInput {
		if v == "" {
			return nil
		}
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
	}
	flag := func(v bool) pulumi.BoolPtrInput {
		if !v {
			return nil
		}
		return pulumi.Bool(true)
	}
	list := func(v []string) pulumi.StringArrayInput {
		if len(v) == 0 {
			return nil
		}
		return pulumi.ToStringArray(v)
	}
	a.Profile = str(s.Profile)
	a.SharedConfigFiles = list(s.SharedConfigFiles)
	a.SharedCredentialsFiles = list(s.SharedCredentialsFiles)
	a.AllowedAccountIds = list(s.AllowedAccountIDs)
	a.ForbiddenAccountIds = list(s.ForbiddenAccountIDs)
	a.StsRegion = str(s.StsRegion)
	a.RetryMode = str(s.RetryMode)
	if s.MaxRetries > 0 {
		a.MaxRetries = pulumi.Int(s.MaxRetries)
	}
	a.SkipCredentialsValidation = flag(s.SkipCredentialsValidation)
	a.SkipRequestingAccountId = flag(s.SkipRequestingAccountID)
	a.SkipMetadataApiCheck = flag(s.SkipMetadataAPICheck)
	a.S3UsePathStyle = flag(s.S3UsePathStyle)
	a.AccessKey, a.SecretKey, a.Token = secret(s.AccessKey), secret(s.SecretKey), secret(s.Token)
	if len(s.DefaultTags) > 0 {
		a.DefaultTags = &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(s.DefaultTags)}
	}
	if r := s.AssumeRole; r != nil {
		a.AssumeRole = assumeRole(*r)
	}
	return a
}

func assumeRole(r AssumeRole) *aws.ProviderAssumeRoleArgs {
	out := &aws.ProviderAssumeRoleArgs{RoleArn: pulumi.String(r.RoleARN)}
	if r.SessionName != "" {
		out.SessionName = pulumi.String(r.SessionName)
	}
	if r.ExternalID != "" {
		out.ExternalId = pulumi.String(r.ExternalID)
	}
	if r.Duration != "" {
		out.Duration = pulumi.String(r.Duration)
	}
	return out
}

// AWSProviders are the program's aws providers: one per region, shared by
// every component in that region, and the management account's.
type AWSProviders struct {
	regional   map[string]*aws.Provider
	management map[string]*aws.Provider
}

// ManagementSessionName is the session name of the management-account role.
const ManagementSessionName = "ssm-runas"

// NewAWSProviders creates one provider per region from the stack's
// settings, and, when managementRoleARN is set, one per region that assumes
// it (in place of any aws:assumeRole) for the management account.
func NewAWSProviders(ctx *pulumi.Context, settings AWSSettings, regions []string, managementRoleARN string) (*AWSProviders, error) {
	p := &AWSProviders{regional: map[string]*aws.Provider{}, management: map[string]*aws.Provider{}}
	for _, region := range slices.Compact(slices.Sorted(slices.Values(regions))) {
		prov, err := aws.NewProvider(ctx, "aws-"+region, settings.providerArgs(region))
		if err != nil {
			return nil, fmt.Errorf("aws provider for %s: %w", region, err)
		}
		p.regional[region] = prov
		p.management[region] = prov
		if managementRoleARN == "" {
			continue
		}
		args := settings.providerArgs(region)
		args.AssumeRole = assumeRole(AssumeRole{RoleARN: managementRoleARN, SessionName: ManagementSessionName})
		if p.management[region], err = aws.NewProvider(ctx, "aws-management-"+region, args); err != nil {
			return nil, fmt.Errorf("management account provider for %s: %w", region, err)
		}
	}
	return p, nil
}

// In returns the provider of region; the region must be one NewAWSProviders got.
func (p *AWSProviders) In(region string) pulumi.ProviderResource {
	prov, ok := p.regional[region]
	if !ok {
		panic(fmt.Sprintf("deploy: no aws provider for %s", region))
	}
	return prov
}

// Management returns the management account's provider in region.
func (p *AWSProviders) Management(region string) pulumi.ProviderResource {
	prov, ok := p.management[region]
	if !ok {
		panic(fmt.Sprintf("deploy: no management aws provider for %s", region))
	}
	return prov
}
