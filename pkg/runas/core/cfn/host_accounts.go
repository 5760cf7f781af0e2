package cfn

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostaccounts"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Logical ids and names of the host accounts part of the template.
const (
	LogicalHostAccountsDocument    = "HostAccountsDocument"
	LogicalHostAccountsAssociation = "HostAccountsAssociation"

	HostAccountsDocumentName    = "ssm-runas-role-accounts"
	HostAccountsAssociationName = "ssm-runas-role-accounts"
	// HostAccountsTimeoutSeconds bounds one run of the script on a host.
	HostAccountsTimeoutSeconds = 300
)

// HostAccountsArgs add the role-account association to the template.
type HostAccountsArgs struct {
	// Script is required: hostaccounts.Script's output.
	Script []byte
	// TargetTagKey and TargetTagValue select the instances.
	TargetTagKey, TargetTagValue string
	// Schedule is a rate() or cron() expression.
	Schedule string
}

// DocumentProperties are AWS::SSM::Document properties.
type DocumentProperties struct {
	Name           string         `json:"Name"`
	DocumentType   string         `json:"DocumentType"`
	DocumentFormat string         `json:"DocumentFormat"`
	UpdateMethod   string         `json:"UpdateMethod"`
	Content        CommandContent `json:"Content"`
	Tags           []Tag          `json:"Tags,omitempty"`
}

// CommandContent is a schema 2.2 Command document.
type CommandContent struct {
	SchemaVersion string        `json:"schemaVersion"`
	Description   string        `json:"description"`
	MainSteps     []CommandStep `json:"mainSteps"`
}

// CommandStep is one step of a Command document.
type CommandStep struct {
	Action       string              `json:"action"`
	Name         string              `json:"name"`
	Precondition map[string][]string `json:"precondition,omitempty"`
	Inputs       RunShellInputs      `json:"inputs"`
}

// RunShellInputs are aws:runShellScript inputs.
type RunShellInputs struct {
	RunCommand     []string `json:"runCommand"`
	TimeoutSeconds string   `json:"timeoutSeconds"`
}

// AssociationProperties are AWS::SSM::Association properties.
type AssociationProperties struct {
	AssociationName    string              `json:"AssociationName"`
	Name               any                 `json:"Name"`
	DocumentVersion    string              `json:"DocumentVersion"`
	Targets            []AssociationTarget `json:"Targets"`
	ScheduleExpression string              `json:"ScheduleExpression"`
	MaxConcurrency     string              `json:"MaxConcurrency"`
	MaxErrors          string              `json:"MaxErrors"`
	ComplianceSeverity string              `json:"ComplianceSeverity"`
}

// AssociationTarget selects instances.
type AssociationTarget struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

// AddTo puts the Command document and its association into t: the
// role-account section of the member template.
func (h *HostAccountsArgs) AddTo(t *Template) error {
	if len(h.Script) == 0 || h.TargetTagKey == "" || h.TargetTagValue == "" || h.Schedule == "" {
		return errors.New("building the template: host accounts need a script, a target tag and a schedule")
	}
	if strings.Contains(string(h.Script), "{{") {
		return errors.New("building the template: the host accounts script contains {{, which SSM reads as a parameter")
	}
	if err := t.free(LogicalHostAccountsDocument, LogicalHostAccountsAssociation); err != nil {
		return err
	}
	t.Resources[LogicalHostAccountsDocument] = Resource{
		Type: "AWS::SSM::Document",
		Properties: DocumentProperties{
			Name:           HostAccountsDocumentName,
			DocumentType:   "Command",
			DocumentFormat: "JSON",
			// A named document cannot be replaced in place; new content
			// becomes a new version instead.
			UpdateMethod: "NewVersion",
			Content: CommandContent{
				SchemaVersion: "2.2",
				Description:   "ssm-runas: creates the Session Manager Run As role accounts and their sudo rules",
				MainSteps: []CommandStep{{
					Action:       "aws:runShellScript",
					Name:         "ensureRoleAccounts",
					Precondition: map[string][]string{"StringEquals": {"platformType", "Linux"}},
					Inputs: RunShellInputs{
						RunCommand:     strings.Split(strings.TrimRight(string(h.Script), "\n"), "\n"),
						TimeoutSeconds: strconv.Itoa(HostAccountsTimeoutSeconds),
					},
				}},
			},
			Tags: []Tag{{Key: "managed-by", Value: "ssm-runas"}},
		},
	}
	t.Resources[LogicalHostAccountsAssociation] = Resource{
		Type: "AWS::SSM::Association",
		Properties: AssociationProperties{
			AssociationName:    HostAccountsAssociationName,
			Name:               Ref(LogicalHostAccountsDocument),
			DocumentVersion:    "$LATEST",
			Targets:            []AssociationTarget{{Key: "tag:" + h.TargetTagKey, Values: []string{h.TargetTagValue}}},
			ScheduleExpression: h.Schedule,
			MaxConcurrency:     "25%",
			MaxErrors:          "10%",
			ComplianceSeverity: "HIGH",
		},
	}
	return nil
}

// HostAccountsFor returns the host accounts part of the template for c, or
// nil when the configuration does not deploy it.
func HostAccountsFor(c *settings.Config) (*HostAccountsArgs, error) {
	if !c.HostAccountsEnabled() {
		return nil, nil
	}
	script, err := hostaccounts.Script(hostaccounts.FromConfig(c))
	if err != nil {
		return nil, err
	}
	h := c.HostAccounts
	return &HostAccountsArgs{Script: script, TargetTagKey: h.TargetTagKey, TargetTagValue: h.TargetTagValue, Schedule: h.Schedule}, nil
}
