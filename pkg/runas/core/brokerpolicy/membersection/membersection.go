package membersection

import (
	"errors"
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Logical ids and names the section writes.
const (
	SectionName            = "broker-session-role"
	LogicalSessionRole     = "BrokerSessionRole"
	OutputSessionRoleARN   = "BrokerSessionRoleArn"
	SessionRolePolicyName  = "ssm-runas-start-sessions"
	sessionRoleDescription = "ssm-runas: assumed by the session broker to start Session Manager sessions as the Linux user of the caller's permission set, with the caller as SourceIdentity"
)

// SessionRole is the section: the session role with its two policies.
type SessionRole struct {
	// BaseName is required: the role is <BaseName>-<region>.
	BaseName string
	// Trust and Permissions are required: brokerpolicy's documents.
	Trust, Permissions policy.Document
}

// For builds the section from a validated configuration; nil when the
// configuration has no broker.
func For(c *settings.Config) (*SessionRole, error) {
	if c.Broker == nil {
		return nil, nil
	}
	args := c.BrokerSessionRoleArgs()
	trust, err := brokerpolicy.SessionRoleTrustPolicy(args)
	if err != nil {
		return nil, err
	}
	perms, err := brokerpolicy.SessionRolePolicy(args)
	if err != nil {
		return nil, err
	}
	return &SessionRole{BaseName: c.Broker.SessionRoleName, Trust: trust, Permissions: perms}, nil
}

// AddTo adds the role and its ARN as an output.
func (s *SessionRole) AddTo(t *cfn.Template) error {
	if s.BaseName == "" || len(s.Trust.Statement) == 0 || len(s.Permissions.Statement) == 0 {
		return errors.New("building the template: the broker's session role needs a name, a trust policy and a permission policy")
	}
	if _, taken := t.Resources[LogicalSessionRole]; taken {
		return fmt.Errorf("building the template: logical id %s is already taken", LogicalSessionRole)
	}
	if _, taken := t.Outputs[OutputSessionRoleARN]; taken {
		return fmt.Errorf("building the template: output %s is already taken", OutputSessionRoleARN)
	}
	t.Resources[LogicalSessionRole] = cfn.Resource{
		Type: "AWS::IAM::Role",
		Properties: cfn.RoleProperties{
			RoleName:                 cfn.Sub(rules.SessionRoleName(s.BaseName, "${AWS::Region}")),
			Description:              sessionRoleDescription,
			AssumeRolePolicyDocument: s.Trust,
			Policies:                 []cfn.InlinePolicy{{PolicyName: SessionRolePolicyName, PolicyDocument: s.Permissions}},
			Tags:                     []cfn.Tag{{Key: "managed-by", Value: "ssm-runas"}},
		},
	}
	if t.Outputs == nil {
		t.Outputs = map[string]cfn.Output{}
	}
	t.Outputs[OutputSessionRoleARN] = cfn.Output{
		Description: "The role the session broker assumes in this account and region",
		Value:       cfn.GetAtt(LogicalSessionRole, "Arn"),
	}
	return nil
}
