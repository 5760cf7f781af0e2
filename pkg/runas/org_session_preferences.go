package runas

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudformation"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// OrgSessionPreferencesType is the component's type token.
const OrgSessionPreferencesType = "ssm-runas:aws:OrgSessionPreferences"

// StackSet constants.
const (
	// PermissionModel: StackSets creates the roles it needs in every account
	// of the organization.
	PermissionModel = "SERVICE_MANAGED"
	// CapabilityNamedIAM: the template creates an IAM role with a fixed name.
	CapabilityNamedIAM = "CAPABILITY_NAMED_IAM"
)

// Defaults of OrgSessionPreferencesArgs: the configuration's defaults.
const (
	DefaultCallAs                     = settings.DefaultCallAs
	DefaultMaxConcurrentPercentage    = settings.DefaultMaxConcurrentPercentage
	DefaultFailureTolerancePercentage = settings.DefaultFailureTolerancePercentage
	DefaultRegionConcurrencyType      = settings.DefaultRegionConcurrencyType
	DefaultConcurrencyMode            = settings.DefaultConcurrencyMode
	// DefaultStackSetTimeout bounds one StackSet operation. An operation
	// walks every account of the targets at maxConcurrentPercentage per
	// region, one region after another; a few thousand accounts take hours,
	// far beyond the provider's default of 30 minutes.
	DefaultStackSetTimeout = 6 * time.Hour
)

// StackSetOperationPreferences tune how fast a StackSet operation walks the
// accounts. They apply per region, and not to automatic deployments into
// accounts that join later.
type StackSetOperationPreferences struct {
	// MaxConcurrentPercentage is optional, default 25 (1-100).
	MaxConcurrentPercentage int
	// FailureTolerancePercentage is optional, default 10 (0-100).
	FailureTolerancePercentage int
	// RegionConcurrencyType is optional, default SEQUENTIAL (or PARALLEL).
	RegionConcurrencyType string
	// ConcurrencyMode is optional, default SOFT_FAILURE_TOLERANCE. It
	// reaches the instances' operations only: the StackSet resource of
	// pulumi-aws v6 has no concurrencyMode, so template updates run with
	// CloudFormation's default (STRICT_FAILURE_TOLERANCE).
	ConcurrencyMode string
}

// OrgSessionPreferencesArgs configure the organization-wide rollout. The
// StackSet lives in the region of the aws provider passed with
// pulumi.Provider (its home region); instances name their own regions.
type OrgSessionPreferencesArgs struct {
	// StackSetName is required.
	StackSetName string
	// TemplateBody is required: the member-account template (cfn).
	TemplateBody string
	// Parameters is optional: the template's parameters, some of which
	// may be known only at deploy time (outputs of other resources).
	Parameters pulumi.StringMap
	// Targets is required: the root id or OU ids to deploy to.
	Targets []string
	// Regions is required: every region whose preferences are managed.
	Regions []string
	// CallAs is optional, default SELF; DELEGATED_ADMIN from a delegated
	// administrator account.
	CallAs string
	// RetainStacksOnAccountRemoval is optional, default false. CloudFormation
	// can change it in place, but the provider replaces the StackSet for it,
	// which the component refuses: see docs/deploy.md for the in-place change.
	RetainStacksOnAccountRemoval bool
	// OperationPreferences is optional; zero fields take the defaults.
	OperationPreferences StackSetOperationPreferences
	// Timeout is optional, default DefaultStackSetTimeout: the longest one
	// StackSet or instance operation may take.
	Timeout time.Duration
	// DependsOn is optional: what must exist before any stack runs, such as
	// every region's WriterArtifacts.
	DependsOn []pulumi.Resource
}

// OrgSessionPreferences is the service-managed StackSet with one instance
// per (target, region): adding a target or a region adds instances and
// replaces none. The StackSet is protected: a change that would replace it
// fails before anything changes.
type OrgSessionPreferences struct {
	pulumi.ResourceState

	// StackSetName is the StackSet's name.
	StackSetName pulumi.StringOutput `pulumi:"stackSetName"`
}

var (
	stackSetTargetRe = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
)

// withDefaults returns a copy of a with every optional field filled in. It
// never changes the caller's args.
func (a OrgSessionPreferencesArgs) withDefaults() OrgSessionPreferencesArgs {
	if a.CallAs == "" {
		a.CallAs = DefaultCallAs
	}
	op := &a.OperationPreferences
	if op.MaxConcurrentPercentage == 0 {
		op.MaxConcurrentPercentage = DefaultMaxConcurrentPercentage
	}
	if op.FailureTolerancePercentage == 0 {
		op.FailureTolerancePercentage = DefaultFailureTolerancePercentage
	}
	if op.RegionConcurrencyType == "" {
		op.RegionConcurrencyType = DefaultRegionConcurrencyType
	}
	if op.ConcurrencyMode == "" {
		op.ConcurrencyMode = DefaultConcurrencyMode
	}
	if a.Timeout == 0 {
		a.Timeout = DefaultStackSetTimeout
	}
	a.Targets = slices.Clone(a.Targets)
	a.Regions = slices.Clone(a.Regions)
	return a
}

func (a OrgSessionPreferencesArgs) validate() error {
	if a.StackSetName == "" || a.TemplateBody == "" || len(a.Targets) == 0 || len(a.Regions) == 0 {
		return errors.New("NewOrgSessionPreferences: StackSetName, TemplateBody, Targets and Regions are required")
	}
	for _, t := range a.Targets {
		if !stackSetTargetRe.MatchString(t) {
			return fmt.Errorf("NewOrgSessionPreferences: target %q must be a root id (r-...) or an OU id (ou-...)", t)
		}
	}
	return nil
}

// NewOrgSessionPreferences registers the StackSet and its instances.
func NewOrgSessionPreferences(ctx *pulumi.Context, name string, args *OrgSessionPreferencesArgs, opts ...pulumi.ResourceOption) (*OrgSessionPreferences, error) {
	if args == nil {
		return nil, errors.New("NewOrgSessionPreferences: args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	comp := &OrgSessionPreferences{}
	if err := ctx.RegisterComponentResource(OrgSessionPreferencesType, name, comp, opts...); err != nil {
		return nil, err
	}
	op := a.OperationPreferences
	timeout := a.Timeout.String()
	timeouts := pulumi.Timeouts(&pulumi.CustomTimeouts{Create: timeout, Update: timeout, Delete: timeout})
	stackSet, err := cloudformation.NewStackSet(ctx, name+"-stackset", &cloudformation.StackSetArgs{
		Name:            pulumi.String(a.StackSetName),
		Description:     pulumi.String("ssm-runas: Session Manager preferences with Run As in every account and region"),
		PermissionModel: pulumi.String(PermissionModel),
		CallAs:          pulumi.String(a.CallAs),
		AutoDeployment: &cloudformation.StackSetAutoDeploymentArgs{
			Enabled:                      pulumi.Bool(true),
			RetainStacksOnAccountRemoval: pulumi.Bool(a.RetainStacksOnAccountRemoval),
		},
		// Queue operations instead of failing them with OperationInProgress
		// when several regions update at once.
		ManagedExecution: &cloudformation.StackSetManagedExecutionArgs{Active: pulumi.Bool(true)},
		Capabilities:     pulumi.StringArray{pulumi.String(CapabilityNamedIAM)},
		TemplateBody:     pulumi.String(a.TemplateBody),
		Parameters:       a.Parameters,
		OperationPreferences: &cloudformation.StackSetOperationPreferencesArgs{
			MaxConcurrentPercentage:    pulumi.Int(op.MaxConcurrentPercentage),
			FailureTolerancePercentage: pulumi.Int(op.FailureTolerancePercentage),
			RegionConcurrencyType:      pulumi.String(op.RegionConcurrencyType),
		},
		Tags: pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, pulumi.Parent(comp), pulumi.DependsOn(a.DependsOn), timeouts,
		// Service-managed StackSets report the administration role AWS
		// uses; the program sets none, and sending it back would update
		// the StackSet in every account on every run.
		pulumi.IgnoreChanges([]string{"administrationRoleArn"}),
		// Replacing the StackSet cannot succeed and would do harm: the new
		// one is created before the old one is deleted, so its name is
		// taken (or, in another home region, every account briefly runs
		// two writers), and the old one cannot be deleted while it holds
		// instances. Changes that replace it (home region, name,
		// autoDeployment, callAs) are refused by the engine before
		// anything changes. `pulumi destroy` needs `pulumi state unprotect`.
		pulumi.Protect(true))
	if err != nil {
		return nil, fmt.Errorf("stack set %s: %w", a.StackSetName, err)
	}

	for _, region := range a.Regions {
		for _, target := range a.Targets {
			// deploymentTargets and region force replacement: one instance
			// per (target, region) keeps every other instance untouched
			// when a target or a region is added.
			if _, err := cloudformation.NewStackSetInstance(ctx, name+"-"+target+"-"+region, &cloudformation.StackSetInstanceArgs{
				StackSetName:      stackSet.Name,
				Region:            pulumi.String(region),
				CallAs:            pulumi.String(a.CallAs),
				DeploymentTargets: &cloudformation.StackSetInstanceDeploymentTargetsArgs{OrganizationalUnitIds: pulumi.ToStringArray([]string{target})},
				OperationPreferences: &cloudformation.StackSetInstanceOperationPreferencesArgs{
					MaxConcurrentPercentage:    pulumi.Int(op.MaxConcurrentPercentage),
					FailureTolerancePercentage: pulumi.Int(op.FailureTolerancePercentage),
					RegionConcurrencyType:      pulumi.String(op.RegionConcurrencyType),
					ConcurrencyMode:            pulumi.String(op.ConcurrencyMode),
				},
				RetainStack: pulumi.Bool(a.RetainStacksOnAccountRemoval),
			}, pulumi.Parent(comp), pulumi.DependsOn(a.DependsOn), timeouts,
				// The provider's update of an OU-targeted instance sends the
				// OU id as an account id; preferences only matter when an
				// instance is created or deleted, so later changes are not sent.
				pulumi.IgnoreChanges([]string{"operationPreferences"})); err != nil {
				return nil, fmt.Errorf("stack set instance for %s in %s: %w", target, region, err)
			}
		}
	}

	comp.StackSetName = stackSet.Name
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"stackSetName": comp.StackSetName}); err != nil {
		return nil, err
	}
	return comp, nil
}
