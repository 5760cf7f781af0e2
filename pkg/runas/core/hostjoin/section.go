package hostjoin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Names and logical ids of the member template's domain-join section.
const (
	// SectionName names the section in errors.
	SectionName = "domain-join"

	LogicalDocument    = "DomainJoinDocument"
	LogicalAssociation = "DomainJoinAssociation"
	LogicalPolicy      = "DomainJoinSecretReadPolicy"
	// OutputPolicyARN is the managed policy the hosts' instance role
	// attaches so the association can read the join secret.
	OutputPolicyARN = "DomainJoinPolicyArn"

	// DocumentName and AssociationName are the same in every account and
	// region (SSM documents and associations are regional).
	DocumentName    = "ssm-runas-domain-join"
	AssociationName = "ssm-runas-domain-join"
	// PolicyNamePrefix names the managed policy: IAM names are global to an
	// account and the template is deployed once per region, so the region
	// is appended.
	PolicyNamePrefix = "ssm-runas-domain-join-"

	// TimeoutSeconds bounds one run on a host: installing the packages
	// (and the AWS CLI) on a fresh instance takes minutes, the join and
	// SSSD's first lookups seconds.
	TimeoutSeconds = 900
	// maxCommandDocumentBytes is SSM's limit on a Command document's
	// content. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html
	maxCommandDocumentBytes = 64 * 1024
)

// Section is the per-user models' part of the member template: a Command
// document running the join script, the association that runs it on the
// tagged instances on a schedule, and a managed policy that grants reading
// the join secret, for the hosts' instance role to attach.
type Section struct {
	// Script is required: Script's output.
	Script []byte
	// SecretARN is required: the Secrets Manager secret the script reads.
	SecretARN string
	// TargetTagKey and TargetTagValue are required: the instances joined.
	TargetTagKey, TargetTagValue string
	// Schedule is required: a rate() or cron() expression.
	Schedule string
}

// ManagedPolicyProperties are AWS::IAM::ManagedPolicy properties.
type ManagedPolicyProperties struct {
	ManagedPolicyName any             `json:"ManagedPolicyName"`
	Description       string          `json:"Description"`
	PolicyDocument    policy.Document `json:"PolicyDocument"`
}

// SectionFor builds the section from a validated configuration; nil when
// the configuration joins no hosts (no perUser section).
func SectionFor(c *settings.Config) (*Section, error) {
	p := c.PerUser
	if p == nil {
		return nil, nil
	}
	d, err := ExistingDomain(p.Domain)
	if err != nil {
		return nil, fmt.Errorf("perUser.domain: %w; the domain-controller program adds this section with NewSection", err)
	}
	return NewSection(FromSettings(p, d, ""), p.Hosts)
}

// NewSection renders spec's script and returns the section running it on
// the instances hosts selects.
func NewSection(spec Spec, hosts settings.HostJoin) (*Section, error) {
	script, err := Script(spec)
	if err != nil {
		return nil, err
	}
	return &Section{
		Script:         script,
		SecretARN:      spec.Credential.SecretARN,
		TargetTagKey:   hosts.TargetTagKey,
		TargetTagValue: hosts.TargetTagValue,
		Schedule:       hosts.Schedule,
	}, nil
}

// SecretReadPolicy allows reading the join secret and decrypting it through
// Secrets Manager: kms:Decrypt only for that secret's encryption context
// and only when Secrets Manager calls KMS, so a customer managed key works
// without naming the key. A secret in another account also needs a
// resource policy on the secret and a customer managed key whose key
// policy lets the member accounts decrypt (the AWS managed key cannot be
// used across accounts).
func SecretReadPolicy(secretARN string) (policy.Document, error) {
	region := Credential{SecretARN: secretARN}.SecretRegion()
	if region == "" {
		return policy.Document{}, fmt.Errorf("join secret %q: must be a Secrets Manager secret ARN", secretARN)
	}
	return policy.Document{
		Version: policy.Version,
		Statement: []policy.Statement{
			{
				Sid:      "ReadDomainJoinSecret",
				Effect:   policy.Allow,
				Action:   policy.Strings{"secretsmanager:GetSecretValue"},
				Resource: policy.Values{secretARN},
			},
			{
				Sid:      "DecryptDomainJoinSecret",
				Effect:   policy.Allow,
				Action:   policy.Strings{"kms:Decrypt"},
				Resource: policy.Values{"*"},
				Condition: policy.Condition{
					"StringEquals": {
						"kms:ViaService":                  {"secretsmanager." + region + ".amazonaws.com"},
						"kms:EncryptionContext:SecretARN": {secretARN},
					},
				},
			},
		},
	}, nil
}

// AddTo puts the document, the association and the policy into t, with
// the policy's ARN as an output.
func (s *Section) AddTo(t *cfn.Template) error {
	if len(s.Script) == 0 || s.TargetTagKey == "" || s.TargetTagValue == "" || s.Schedule == "" {
		return errors.New("building the template: the domain join needs a script, a target tag and a schedule")
	}
	script := string(s.Script)
	if !strings.HasPrefix(script, "#!/bin/bash\n") {
		// The agent writes runCommand to a file and runs it with sh -c:
		// only the interpreter line makes it bash.
		return errors.New("building the template: the domain join script must start with #!/bin/bash")
	}
	if strings.Contains(script, "{{") {
		return errors.New("building the template: the domain join script contains {{, which SSM reads as a parameter")
	}
	readSecret, err := SecretReadPolicy(s.SecretARN)
	if err != nil {
		return fmt.Errorf("building the template: %w", err)
	}
	for _, id := range []string{LogicalDocument, LogicalAssociation, LogicalPolicy} {
		if _, taken := t.Resources[id]; taken {
			return fmt.Errorf("building the template: logical id %s is already taken", id)
		}
	}
	if _, taken := t.Outputs[OutputPolicyARN]; taken {
		return fmt.Errorf("building the template: output %s is already taken", OutputPolicyARN)
	}
	content := cfn.CommandContent{
		SchemaVersion: "2.2",
		Description:   "ssm-runas: joins the instance to the Active Directory domain and makes directory users resolve for Session Manager Run As",
		MainSteps: []cfn.CommandStep{{
			Action:       "aws:runShellScript",
			Name:         "joinDomain",
			Precondition: map[string][]string{"StringEquals": {"platformType", "Linux"}},
			Inputs: cfn.RunShellInputs{
				RunCommand:     strings.Split(strings.TrimRight(script, "\n"), "\n"),
				TimeoutSeconds: strconv.Itoa(TimeoutSeconds),
			},
		}},
	}
	if n := len(script); n > maxCommandDocumentBytes {
		return fmt.Errorf("building the template: the domain join script is %d bytes; a Command document holds at most %d", n, maxCommandDocumentBytes)
	}

	t.Resources[LogicalDocument] = cfn.Resource{
		Type: "AWS::SSM::Document",
		Properties: cfn.DocumentProperties{
			Name:           DocumentName,
			DocumentType:   "Command",
			DocumentFormat: "JSON",
			UpdateMethod:   "NewVersion",
			Content:        content,
			Tags:           []cfn.Tag{{Key: "managed-by", Value: "ssm-runas"}},
		},
	}
	t.Resources[LogicalAssociation] = cfn.Resource{
		Type: "AWS::SSM::Association",
		Properties: cfn.AssociationProperties{
			AssociationName:    AssociationName,
			Name:               cfn.Ref(LogicalDocument),
			DocumentVersion:    "$LATEST",
			Targets:            []cfn.AssociationTarget{{Key: "tag:" + s.TargetTagKey, Values: []string{s.TargetTagValue}}},
			ScheduleExpression: s.Schedule,
			MaxConcurrency:     "25%",
			MaxErrors:          "10%",
			ComplianceSeverity: "HIGH",
		},
	}
	t.Resources[LogicalPolicy] = cfn.Resource{
		Type: "AWS::IAM::ManagedPolicy",
		Properties: ManagedPolicyProperties{
			ManagedPolicyName: cfn.Sub(PolicyNamePrefix + "${AWS::Region}"),
			Description:       "ssm-runas: lets the domain join association read the join secret; attach it to the instance role of hosts tagged " + s.TargetTagKey + "=" + s.TargetTagValue,
			PolicyDocument:    readSecret,
		},
	}
	if t.Outputs == nil {
		t.Outputs = map[string]cfn.Output{}
	}
	t.Outputs[OutputPolicyARN] = cfn.Output{
		Description: "Attach to the instance role of the hosts that join the domain",
		Value:       cfn.Ref(LogicalPolicy),
	}
	return nil
}
