package settings

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

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
	policyNameRe     = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// MaxBucketNameLength is the S3 limit on bucket names.
//
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const MaxBucketNameLength = 63

// Validate checks the whole configuration and returns every problem as a
// field.List, or nil.
func (c *Config) Validate() error {
	var errs field.List
	switch c.Model {
	case ModelPerRole, ModelPerUser, ModelDomainController:
	case "":
		errs.Add(field.Required("model", fmt.Sprintf("is required: one of %s", modelNames())))
	default:
		errs.Add(field.Invalid("model", c.Model, fmt.Sprintf("must be one of %s", modelNames())))
	}
	errs.Extend(c.Organization.validate("organization"))
	errs.Extend(c.SessionPreferences.Validate("sessionPreferences"))
	errs.Extend(c.Guardrail.validate("guardrail"))
	errs.Extend(c.validateIdentity())
	errs.Extend(c.validateEntra())
	return errs.Err()
}

func modelNames() string {
	names := make([]string, len(Models))
	for i, m := range Models {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

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

	if o.HomeRegion != "" && !seenRegion[o.HomeRegion] {
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

func (g *Guardrail) validate(p field.Path) field.List {
	var errs field.List
	if !policyNameRe.MatchString(g.PolicyName) {
		errs.Add(field.Invalid(p.Child("policyName"), g.PolicyName, "must match "+policyNameRe.String()))
	}
	for i, a := range g.ExemptRoleARNs {
		if !roleARNRe.MatchString(a) {
			errs.Add(field.Invalid(p.Child("exemptRoleArns").Index(i), a,
				"must be an IAM role ARN, e.g. arn:aws:iam::*:role/platform-pipeline"))
		}
	}
	if len(errs) == 0 {
		if _, err := policy.SessionPreferencesSCP(g.ExemptRoleARNs); err != nil {
			errs.Add(field.Required(p.Child("exemptRoleArns"), err.Error()))
		}
	}
	return errs
}
