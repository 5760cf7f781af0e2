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
		KMSKeyID:          "alias/ssm-sessions",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range d.Statement {
		fmt.Println(s.Effect, s.Sid, s.Action)
	}
	// Output:
	// Allow InvokeSessionBroker [lambda:InvokeFunctionUrl]
	// Allow InvokeSessionBrokerThroughItsURL [lambda:InvokeFunction]
	// Allow SessionManagerConsoleRead [ec2:DescribeInstances ssm:DescribeInstanceInformation ssm:DescribeInstanceProperties ssm:DescribeSessions ssm:GetConnectionStatus]
	// Allow EncryptSessionData [kms:GenerateDataKey]
	// Deny DenyDirectStartSession [ssm:StartSession]
	// Deny DenyRunningCommandsOnInstances [ec2-instance-connect:SendSSHPublicKey ec2-instance-connect:SendSerialConsoleSSHPublicKey ssm:CreateAssociation ssm:CreateAssociationBatch ssm:RegisterTaskWithMaintenanceWindow ssm:SendCommand ssm:StartAutomationExecution ssm:UpdateAssociation ssm:UpdateMaintenanceWindowTask]
}

// TestCallerPolicyKeepsTheSessionPolicysReadAndKey: the statements the
// people the broker serves keep are the session policy's own, for every
// form of key the configuration accepts, and there is no KMS permission
// without a key.
func TestCallerPolicyKeepsTheSessionPolicysReadAndKey(t *testing.T) {
	for _, key := range []string{
		"",
		"1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"alias/ssm-sessions",
		"arn:aws:kms:eu-west-1:111111111111:alias/ssm-sessions",
	} {
		t.Run("key "+key, func(t *testing.T) {
			d, err := brokerpolicy.CallerPolicy(brokerpolicy.CallerArgs{BrokerFunctionARN: functionARN, KMSKeyID: key})
			require.NoError(t, err)
			want := map[string]policy.Statement{}
			for _, s := range policy.PermissionSetSessionPolicy(policy.PermissionSetPolicyArgs{KMSKeyID: key}).Statement {
				if s.Sid == policy.SidSessionManagerConsoleRead || s.Sid == policy.SidEncryptSessionData {
					want[s.Sid] = s
				}
			}
			got := map[string]policy.Statement{}
			for _, s := range d.Statement {
				if s.Sid == policy.SidSessionManagerConsoleRead || s.Sid == policy.SidEncryptSessionData {
					got[s.Sid] = s
				}
			}
			require.Contains(t, want, policy.SidSessionManagerConsoleRead)
			assert.Len(t, got, len(want))
			for sid, w := range want {
				assert.JSONEq(t, string(policy.Document{Statement: []policy.Statement{w}}.JSON()),
					string(policy.Document{Statement: []policy.Statement{got[sid]}}.JSON()), sid)
			}
			if key == "" {
				assert.NotContains(t, string(d.JSON()), "kms:", "no key, no KMS permission")
			}
		})
	}
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
