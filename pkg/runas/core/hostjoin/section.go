package hostjoin

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
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
	// DeployTimeValues is optional, default false. True when Script and
	// SecretARN were rendered with the placeholders of the domain
	// controller's join secret and DNS server (SectionFor does so for
	// perUser.domain.fromDomainControllerStack): the template then declares
	// the parameters ParamJoinSecretARN and ParamDNSServers and uses them
	// wherever a placeholder stands.
	DeployTimeValues bool
}

// Parameters of the member template when the join secret and the domain's
// DNS servers are values of the same deployment (the domain controller it
// builds). The stack passes them to the StackSet and the management
// account's stacks; the template itself stays one constant text, the one
// `runas stackset template` prints.
const (
	ParamJoinSecretARN = "DomainJoinSecretArn"
	ParamDNSServers    = "DomainDnsServers"
)

// Placeholders the script and the policy are rendered with when their
// values are parameters. The DNS server is from TEST-NET-1 (RFC 5737,
// never a real address); the secret's account is all zeros, which no AWS
// account is. Only their region is real: the secret lives in the domain
// controller's region, which the script passes to the AWS CLI.
const (
	placeholderDNSServer     = "192.0.2.53"
	placeholderSecretAccount = "000000000000"
	placeholderSecretName    = "ssm-runas-domain-join-parameter"
)

func placeholderSecretARN(region string) string {
	return "arn:aws:secretsmanager:" + region + ":" + placeholderSecretAccount + ":secret:" + placeholderSecretName
}

// dnsServersPattern is what ParamDNSServers accepts: IPv4 addresses
// separated by single spaces, the only characters the script's message
// needs and none that a shell would read.
const dnsServersPattern = `^[0-9]{1,3}(\.[0-9]{1,3}){3}( [0-9]{1,3}(\.[0-9]{1,3}){3})*$`

// secretARNPattern is what ParamJoinSecretARN accepts: a Secrets Manager
// secret ARN in region (the one the script reads it in), without quotes
// or anything else a shell would read inside single quotes.
func secretARNPattern(region string) string {
	return `^arn:aws[a-z-]*:secretsmanager:` + regexp.QuoteMeta(region) + `:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`
}

// ManagedPolicyProperties are AWS::IAM::ManagedPolicy properties.
type ManagedPolicyProperties struct {
	ManagedPolicyName any             `json:"ManagedPolicyName"`
	Description       string          `json:"Description"`
	PolicyDocument    policy.Document `json:"PolicyDocument"`
}

// SectionFor builds the section from a validated configuration; nil when
// the configuration joins no hosts (no perUser section). With
// perUser.domain.fromDomainControllerStack the join secret and the DNS
// servers exist only once the domain controller of the same deployment
// does: the section then takes them as the template parameters
// ParamJoinSecretARN and ParamDNSServers (see DeployTimeValues).
func SectionFor(c *settings.Config) (*Section, error) {
	p := c.PerUser
	if p == nil {
		return nil, nil
	}
	if p.Domain.FromDomainControllerStack {
		d := c.DomainController
		if d == nil {
			return nil, errors.New("perUser.domain.fromDomainControllerStack: the domainController section is required")
		}
		spec := DomainControllerSpec(c, []string{placeholderDNSServer}, placeholderSecretARN(d.Region))
		s, err := NewSection(spec, p.Hosts)
		if err != nil {
			return nil, err
		}
		s.DeployTimeValues = true
		return s, nil
	}
	d, err := ExistingDomain(p.Domain)
	if err != nil {
		return nil, fmt.Errorf("perUser.domain: %w", err)
	}
	return NewSection(FromSettings(p, d, ""), p.Hosts)
}

// DomainControllerSpec is the join of the domain-controller model's hosts:
// the domain the same deployment builds (domainController), its DNS
// servers and join secret (known once the domain controller exists), and
// the join OU the join account is delegated on. The demo host's join and
// the member template's section are both this spec.
func DomainControllerSpec(c *settings.Config, dnsServers []string, secretARN string) Spec {
	d := c.DomainController
	spec := FromSettings(c.PerUser, Domain{
		Name: d.Domain, Realm: strings.ToUpper(d.Domain), DNSServers: dnsServers,
	}, secretARN)
	spec.JoinOU = d.JoinOUDN()
	return spec
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
	var params map[string]cfn.Parameter
	if s.DeployTimeValues {
		region := Credential{SecretARN: s.SecretARN}.SecretRegion()
		if s.SecretARN != placeholderSecretARN(region) {
			return fmt.Errorf("building the template: the join secret %q is not the placeholder of a deploy-time value", s.SecretARN)
		}
		for _, id := range []string{ParamJoinSecretARN, ParamDNSServers} {
			if _, taken := t.Parameters[id]; taken {
				return fmt.Errorf("building the template: parameter %s is already taken", id)
			}
		}
		params = map[string]cfn.Parameter{
			ParamJoinSecretARN: {
				Type:                  "String",
				Description:           "ARN of the Secrets Manager secret holding the join account, in " + region + " (the domain controller's region).",
				AllowedPattern:        secretARNPattern(region),
				ConstraintDescription: "a Secrets Manager secret ARN in " + region,
			},
			ParamDNSServers: {
				Type:                  "String",
				Description:           "The domain's DNS servers, separated by spaces; named in the join's message when the domain cannot be found.",
				AllowedPattern:        dnsServersPattern,
				ConstraintDescription: "IPv4 addresses separated by single spaces",
			},
		}
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

	resources := map[string]cfn.Resource{}
	resources[LogicalDocument] = cfn.Resource{
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
	resources[LogicalAssociation] = cfn.Resource{
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
	resources[LogicalPolicy] = cfn.Resource{
		Type: "AWS::IAM::ManagedPolicy",
		Properties: ManagedPolicyProperties{
			ManagedPolicyName: cfn.Sub(PolicyNamePrefix + "${AWS::Region}"),
			Description:       "ssm-runas: lets the domain join association read the join secret; attach it to the instance role of hosts tagged " + s.TargetTagKey + "=" + s.TargetTagValue,
			PolicyDocument:    readSecret,
		},
	}
	if s.DeployTimeValues {
		for id, r := range resources {
			props, err := withParameters(r.Properties, map[string]string{
				s.SecretARN:          ParamJoinSecretARN,
				placeholderDNSServer: ParamDNSServers,
			})
			if err != nil {
				return fmt.Errorf("building the template: %s: %w", id, err)
			}
			r.Properties = props
			resources[id] = r
		}
		if t.Parameters == nil {
			t.Parameters = map[string]cfn.Parameter{}
		}
		for id, p := range params {
			t.Parameters[id] = p
		}
	}
	for id, r := range resources {
		t.Resources[id] = r
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

// withParameters returns props, a resource's typed properties, as the JSON
// tree CloudFormation reads, with every placeholder (a key of params)
// replaced by a reference to its parameter: a string that is exactly a
// placeholder becomes {"Ref": parameter}, a string that contains one
// becomes {"Fn::Join": ["", [text, {"Ref": parameter}, text]]} (not
// Fn::Sub, which would read the script's own ${...}). The properties are
// built by the same typed code as for a known domain; only the values
// differ.
func withParameters(props any, params map[string]string) (any, error) {
	raw, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	return substitute(tree, params), nil
}

func substitute(v any, params map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = substitute(e, params)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = substitute(e, params)
		}
		return v
	case string:
		return substituteString(v, params)
	}
	return v
}

// substituteString splits s at the placeholders, leftmost first.
func substituteString(s string, params map[string]string) any {
	var parts []any
	for s != "" {
		at, placeholder := -1, ""
		for p := range params {
			if i := strings.Index(s, p); i >= 0 && (at < 0 || i < at) {
				at, placeholder = i, p
			}
		}
		if at < 0 {
			parts = append(parts, s)
			break
		}
		if at > 0 {
			parts = append(parts, s[:at])
		}
		parts = append(parts, cfn.Ref(params[placeholder]))
		s = s[at+len(placeholder):]
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return map[string]any{"Fn::Join": []any{"", parts}}
}
