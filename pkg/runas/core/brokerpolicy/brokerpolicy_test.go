package brokerpolicy_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

func TestPolicies(t *testing.T) {
	d := emitted(t)
	for _, k := range []string{"trust", "session-role", "caller", "broker-role", "url"} {
		golden.JSON(t, k+".json", d[k].Indented())
	}
}

func TestCallerPolicyAllowingCommands(t *testing.T) {
	d, err := brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{BrokerFunctionARN: functionARN, AllowCommands: true})
	require.NoError(t, err)
	for _, s := range d.Statement {
		assert.NotEqual(t, policy.SidDenyRunningCommandsOnInstances, s.Sid)
	}
	d, err = brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{BrokerFunctionARN: functionARN})
	require.NoError(t, err)
	assert.Equal(t, policy.SidDenyRunningCommandsOnInstances, d.Statement[len(d.Statement)-1].Sid)
}

func TestRequiredArguments(t *testing.T) {
	_, err := brokerpolicy.SessionRoleTrustPolicy(brokerpolicy.SessionRoleArgs{LinuxUsers: []string{"admin"}})
	assert.ErrorContains(t, err, "broker's role ARN is required")
	_, err = brokerpolicy.SessionRolePolicy(brokerpolicy.SessionRoleArgs{BrokerRoleARN: brokerRoleARN})
	assert.ErrorContains(t, err, "at least one Linux user")
	_, err = brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{})
	assert.ErrorContains(t, err, "function's ARN is required")
	_, err = brokerpolicy.BrokerRolePolicy(brokerpolicy.BrokerRoleArgs{OrganizationID: org})
	assert.ErrorContains(t, err, "session role name are required")
	_, err = brokerpolicy.FunctionURLPolicy(brokerpolicy.BrokerRoleArgs{OrganizationID: org})
	assert.ErrorContains(t, err, "function ARN are required")
}

func ExampleSessionRoleTrustPolicy() {
	d, err := brokerpolicy.SessionRoleTrustPolicy(brokerpolicy.SessionRoleArgs{
		BrokerRoleARN: "arn:aws:iam::111111111111:role/ssm-runas-session-broker",
		LinuxUsers:    []string{"developer", "admin"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range d.Statement {
		fmt.Println(s.Sid, s.Action, s.Condition)
	}
	// Output:
	// BrokerAssumesSessionRole [sts:AssumeRole] map[Null:map[sts:SourceIdentity:[false]] StringEquals:map[aws:RequestTag/SSMSessionRunAs:[admin developer]]]
	// BrokerTagsRunAsUser [sts:TagSession] map[ForAllValues:StringEquals:map[aws:TagKeys:[SSMSessionRunAs]] StringEquals:map[aws:RequestTag/SSMSessionRunAs:[admin developer]]]
	// BrokerSetsSourceIdentity [sts:SetSourceIdentity] map[Null:map[sts:SourceIdentity:[false]]]
}

func ExampleCallerPolicy() {
	d, err := brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{
		BrokerFunctionARN: "arn:aws:lambda:eu-west-1:111111111111:function:ssm-runas-session-broker",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range d.Statement {
		fmt.Println(s.Effect, s.Sid)
	}
	// Output:
	// Allow InvokeSessionBroker
	// Allow InvokeSessionBrokerThroughItsURL
	// Deny DenyDirectStartSession
	// Deny DenyRunningCommandsOnInstances
}

func TestSessionScopePolicy(t *testing.T) {
	d, err := brokerpolicy.SessionScopePolicy(brokerpolicy.SessionScopeArgs{AccountID: member, Region: covered, Target: instanceID, Document: "SSM-SessionManagerRunShell"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"StartThisSessionOnly","Effect":"Allow","Action":"ssm:StartSession",
		"Resource":["arn:aws:ec2:eu-west-1:222222222222:instance/i-0123456789abcdef0","arn:aws:ssm:eu-west-1:*:document/SSM-SessionManagerRunShell"]}]}`, string(d.JSON()))
	d, err = brokerpolicy.SessionScopePolicy(brokerpolicy.SessionScopeArgs{Partition: "aws-us-gov", AccountID: member, Region: "us-gov-west-1", Target: "mi-0123456789abcdef0", Document: "D"})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws-us-gov:ssm:us-gov-west-1:222222222222:managed-instance/mi-0123456789abcdef0", d.Statement[0].Resource[0])
	_, err = brokerpolicy.SessionScopePolicy(brokerpolicy.SessionScopeArgs{AccountID: member})
	assert.ErrorContains(t, err, "are required")
}
