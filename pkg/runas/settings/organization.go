package settings

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

// Organization names the AWS Organization and the scope of the rollout.
type Organization struct {
	// ID is required: the organization id (o-...), used to let every member
	// account read the writer's code from the artifact buckets.
	ID string `yaml:"id" json:"id"`
	// ManagementAccountID is required: the 12-digit management account. The
	// StackSet never deploys there, so it is configured directly.
	ManagementAccountID string `yaml:"managementAccountId" json:"managementAccountId"`
	// Targets is required: the root id (r-...) or OU ids (ou-...) the
	// StackSet deploys to and the SCP is attached to.
	Targets []string `yaml:"targets" json:"targets"`
	// Regions is required: every region whose preferences are managed.
	// Session Manager preferences are per region.
	Regions []string `yaml:"regions" json:"regions"`
	// HomeRegion is where the StackSet itself lives (and where the audit
	// looks for it). Required when Regions lists more than one region; with
	// one region it defaults to it. Moving it replaces the StackSet, which
	// fails (the old one still holds every stack instance), so it is never
	// derived from the order of Regions.
	HomeRegion string `yaml:"homeRegion,omitempty" json:"homeRegion,omitempty"`
	// ArtifactBucketPrefix is optional, default
	// "ssm-runas-artifacts-<managementAccountId>". One bucket per region is
	// named "<prefix>-<region>".
	ArtifactBucketPrefix string `yaml:"artifactBucketPrefix,omitempty" json:"artifactBucketPrefix,omitempty"`
	// StackSet is optional; every field has a default.
	StackSet StackSet `yaml:"stackSet" json:"stackSet"`
	// ManagementAccount is optional; the management account is configured by
	// default.
	ManagementAccount ManagementAccount `yaml:"managementAccount" json:"managementAccount"`
}

// StackSet configures the service-managed StackSet.
type StackSet struct {
	// Name is optional, default "ssm-runas-session-preferences".
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// CallAs is optional, default SELF (run from the management account);
	// DELEGATED_ADMIN when run from a delegated administrator account.
	CallAs string `yaml:"callAs,omitempty" json:"callAs,omitempty"`
	// RetainStacksOnAccountRemoval is optional, default false: an account
	// that leaves the targets gets its original preferences back.
	RetainStacksOnAccountRemoval *bool `yaml:"retainStacksOnAccountRemoval,omitempty" json:"retainStacksOnAccountRemoval,omitempty"`
	// OperationPreferences is optional; defaults favour a slow, stoppable rollout.
	OperationPreferences OperationPreferences `yaml:"operationPreferences" json:"operationPreferences"`
}

// OperationPreferences apply per region to StackSet operations. They do not
// apply to automatic deployments into newly added accounts.
type OperationPreferences struct {
	// MaxConcurrentPercentage is optional, default 25 (1-100).
	MaxConcurrentPercentage *int `yaml:"maxConcurrentPercentage,omitempty" json:"maxConcurrentPercentage,omitempty"`
	// FailureTolerancePercentage is optional, default 10 (0-100).
	FailureTolerancePercentage *int `yaml:"failureTolerancePercentage,omitempty" json:"failureTolerancePercentage,omitempty"`
	// RegionConcurrencyType is optional, default SEQUENTIAL (or PARALLEL).
	RegionConcurrencyType string `yaml:"regionConcurrencyType,omitempty" json:"regionConcurrencyType,omitempty"`
	// ConcurrencyMode is optional, default SOFT_FAILURE_TOLERANCE (or
	// STRICT_FAILURE_TOLERANCE).
	ConcurrencyMode string `yaml:"concurrencyMode,omitempty" json:"concurrencyMode,omitempty"`
}

// ManagementAccount controls the direct configuration of the management account.
type ManagementAccount struct {
	// Configure is optional, default true: deploy the same template as a
	// plain stack in each region of the management account.
	Configure *bool `yaml:"configure,omitempty" json:"configure,omitempty"`
	// AssumeRoleARN is optional: a role in the management account to deploy
	// with. Required when stackSet.callAs is DELEGATED_ADMIN, because the
	// program then runs in another account.
	AssumeRoleARN string `yaml:"assumeRoleArn,omitempty" json:"assumeRoleArn,omitempty"`
}

// Writer configures the member-account Lambda's package.
type Writer struct {
	// ZipPath is optional: a prebuilt zip of cmd/ssm-prefs-writer. By default
	// the program builds it reproducibly from source. A relative path is
	// relative to the configuration file (CLI) or to the Pulumi project
	// root, the directory of Pulumi.yaml (stack): see ZipPathFrom.
	ZipPath string `yaml:"zipPath,omitempty" json:"zipPath,omitempty"`
	// ForceDestroy is optional, default false. The artifact buckets are
	// versioned and keep every writer zip a stack may roll back to, so
	// `pulumi destroy` fails on them until they are emptied; true lets it
	// delete the buckets with their contents.
	ForceDestroy bool `yaml:"forceDestroy,omitempty" json:"forceDestroy,omitempty"`
}

// ZipPathFrom returns ZipPath resolved against dir (absolute paths stay as
// they are), or "" when ZipPath is unset.
func (w Writer) ZipPathFrom(dir string) string {
	if w.ZipPath == "" || filepath.IsAbs(w.ZipPath) {
		return w.ZipPath
	}
	return filepath.Join(dir, w.ZipPath)
}

// Organization defaults.
const (
	DefaultStackSetName               = "ssm-runas-session-preferences"
	DefaultCallAs                     = "SELF"
	DefaultMaxConcurrentPercentage    = 25
	DefaultFailureTolerancePercentage = 10
	DefaultRegionConcurrencyType      = "SEQUENTIAL"
	DefaultConcurrencyMode            = "SOFT_FAILURE_TOLERANCE"
	artifactBucketPrefixBase          = "ssm-runas-artifacts-"
)

func (o *Organization) applyDefaults() {
	if o.HomeRegion == "" && len(o.Regions) == 1 {
		o.HomeRegion = o.Regions[0]
	}
	if o.ArtifactBucketPrefix == "" && o.ManagementAccountID != "" {
		o.ArtifactBucketPrefix = artifactBucketPrefixBase + o.ManagementAccountID
	}
	s := &o.StackSet
	if s.Name == "" {
		s.Name = DefaultStackSetName
	}
	if s.CallAs == "" {
		s.CallAs = DefaultCallAs
	}
	if s.RetainStacksOnAccountRemoval == nil {
		s.RetainStacksOnAccountRemoval = ptr(false)
	}
	op := &s.OperationPreferences
	if op.MaxConcurrentPercentage == nil {
		op.MaxConcurrentPercentage = ptr(DefaultMaxConcurrentPercentage)
	}
	if op.FailureTolerancePercentage == nil {
		op.FailureTolerancePercentage = ptr(DefaultFailureTolerancePercentage)
	}
	if op.RegionConcurrencyType == "" {
		op.RegionConcurrencyType = DefaultRegionConcurrencyType
	}
	if op.ConcurrencyMode == "" {
		op.ConcurrencyMode = DefaultConcurrencyMode
	}
	if o.ManagementAccount.Configure == nil {
		o.ManagementAccount.Configure = ptr(true)
	}
}

// ArtifactBucket is the name of the writer's artifact bucket in region.
func (o *Organization) ArtifactBucket(region string) string {
	return o.ArtifactBucketPrefix + "-" + region
}

// ConfigureManagementAccount reports whether the management account is
// configured directly.
func (c *Config) ConfigureManagementAccount() bool {
	return c.Organization.ManagementAccount.Configure == nil || *c.Organization.ManagementAccount.Configure
}

// Identifier formats, from the Organizations and CloudFormation API references.
var (
	organizationIDRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountIDRe      = regexp.MustCompile(`^\d{12}$`)
	rootIDRe         = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDRe           = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	regionRe         = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	stackSetNameRe   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,127}$`)
	bucketPrefixRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)
	roleARNRe        = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*-]{1,512}$`)
)

// MaxBucketNameLength is the S3 limit on bucket names.
//
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const MaxBucketNameLength = 63

func (o *Organization) validate(p field.Path) field.List {
	var errs field.List
	if o.ID == "" {
		errs.Add(field.Required(p.Child("id"), "is required: the organization id (o-...)"))
	} else if !organizationIDRe.MatchString(o.ID) {
		errs.Add(field.Invalid(p.Child("id"), o.ID, "must match "+organizationIDRe.String()))
	}
	if o.ManagementAccountID == "" {
		errs.Add(field.Required(p.Child("managementAccountId"), "is required: the 12-digit management account id"))
	} else if !accountIDRe.MatchString(o.ManagementAccountID) {
		errs.Add(field.Invalid(p.Child("managementAccountId"), o.ManagementAccountID, "must be 12 digits (quote it in YAML to keep leading zeros)"))
	}

	if len(o.Targets) == 0 {
		errs.Add(field.Required(p.Child("targets"), "is required: the root id (r-...) or OU ids (ou-...) to deploy to"))
	}
	seen := map[string]bool{}
	hasRoot := false
	for i, t := range o.Targets {
		tp := p.Child("targets").Index(i)
		switch {
		case rootIDRe.MatchString(t):
			hasRoot = true
		case ouIDRe.MatchString(t):
		default:
			errs.Add(field.Invalid(tp, t, "must be a root id (r-xxxx) or an OU id (ou-xxxx-xxxxxxxx)"))
		}
		if seen[t] {
			errs.Add(field.Invalid(tp, t, "is listed twice"))
		}
		seen[t] = true
	}
	if hasRoot && len(o.Targets) > 1 {
		errs.Add(field.Required(p.Child("targets"), "the root already covers every OU: list either the root or OUs"))
	}

	if len(o.Regions) == 0 {
		errs.Add(field.Required(p.Child("regions"), "is required: Session Manager preferences are per region"))
	}
	seenRegion := map[string]bool{}
	longest := 0
	for i, r := range o.Regions {
		rp := p.Child("regions").Index(i)
		if !regionRe.MatchString(r) {
			errs.Add(field.Invalid(rp, r, "must be an AWS region name such as eu-west-1"))
		}
		if seenRegion[r] {
			errs.Add(field.Invalid(rp, r, "is listed twice"))
		}
		seenRegion[r] = true
		longest = max(longest, len(r))
	}

	if o.HomeRegion == "" && len(o.Regions) > 1 {
		errs.Add(field.Required(p.Child("homeRegion"), "is required with several regions: the StackSet lives there, and moving it later replaces the StackSet, which fails while it holds stack instances"))
	} else if o.HomeRegion != "" && !seenRegion[o.HomeRegion] {
		errs.Add(field.Invalid(p.Child("homeRegion"), o.HomeRegion, "must be one of organization.regions"))
	}
	if bp := o.ArtifactBucketPrefix; bp != "" {
		if !bucketPrefixRe.MatchString(bp) || len(bp)+1+longest > MaxBucketNameLength {
			errs.Add(field.Invalid(p.Child("artifactBucketPrefix"), bp, fmt.Sprintf(
				"must be lower-case letters, digits and '-', and with '-<region>' appended at most %d characters", MaxBucketNameLength)))
		}
	}

	s := o.StackSet
	sp := p.Child("stackSet")
	if !stackSetNameRe.MatchString(s.Name) {
		errs.Add(field.Invalid(sp.Child("name"), s.Name, "must match "+stackSetNameRe.String()))
	}
	if s.CallAs != "SELF" && s.CallAs != "DELEGATED_ADMIN" {
		errs.Add(field.Invalid(sp.Child("callAs"), s.CallAs, "must be SELF or DELEGATED_ADMIN"))
	}
	op := s.OperationPreferences
	opp := sp.Child("operationPreferences")
	if v := op.MaxConcurrentPercentage; v != nil && (*v < 1 || *v > 100) {
		errs.Add(field.Invalid(opp.Child("maxConcurrentPercentage"), *v, "must be between 1 and 100"))
	}
	if v := op.FailureTolerancePercentage; v != nil && (*v < 0 || *v > 100) {
		errs.Add(field.Invalid(opp.Child("failureTolerancePercentage"), *v, "must be between 0 and 100"))
	}
	if v := op.RegionConcurrencyType; v != "SEQUENTIAL" && v != "PARALLEL" {
		errs.Add(field.Invalid(opp.Child("regionConcurrencyType"), v, "must be SEQUENTIAL or PARALLEL"))
	}
	if v := op.ConcurrencyMode; v != "SOFT_FAILURE_TOLERANCE" && v != "STRICT_FAILURE_TOLERANCE" {
		errs.Add(field.Invalid(opp.Child("concurrencyMode"), v, "must be SOFT_FAILURE_TOLERANCE or STRICT_FAILURE_TOLERANCE"))
	}

	ma := o.ManagementAccount
	mp := p.Child("managementAccount")
	if ma.AssumeRoleARN != "" && !roleARNRe.MatchString(ma.AssumeRoleARN) {
		errs.Add(field.Invalid(mp.Child("assumeRoleArn"), ma.AssumeRoleARN, "must be an IAM role ARN"))
	}
	if ma.AssumeRoleARN != "" && o.ManagementAccountID != "" && !strings.Contains(ma.AssumeRoleARN, "::"+o.ManagementAccountID+":") {
		errs.Add(field.Invalid(mp.Child("assumeRoleArn"), ma.AssumeRoleARN, "must be a role in organization.managementAccountId"))
	}
	if s.CallAs == "DELEGATED_ADMIN" && (ma.Configure == nil || *ma.Configure) && ma.AssumeRoleARN == "" {
		errs.Add(field.Required(mp.Child("assumeRoleArn"),
			"is required when stackSet.callAs is DELEGATED_ADMIN: the program runs outside the management account"))
	}
	return errs
}

// ValidAccountID reports whether id is a 12-digit AWS account id.
func ValidAccountID(id string) bool { return accountIDRe.MatchString(id) }
