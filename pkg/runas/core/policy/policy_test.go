package policy_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

func TestSessionPreferencesSCP(t *testing.T) {
	d, err := policy.SessionPreferencesSCP([]string{"arn:aws:iam::*:role/platform-pipeline", "arn:aws:iam::*:role/platform-pipeline"})
	require.NoError(t, err)
	golden.JSON(t, "scp.json", d.Indented())
}

func TestGuardrailSCP(t *testing.T) {
	d, err := policy.GuardrailSCP(policy.SCPArgs{
		ExemptRoleARNs: []string{"arn:aws:iam::333333333333:role/platform-pipeline", "arn:aws:iam::*:role/ssm-runas-remediation"},
		StackSetName:   "ssm-runas-session-preferences",
		ReservedUsers:  []string{"ubuntu", "ec2-user", "root"},
		Regions:        []string{"eu-west-1", "us-east-1"},
	})
	require.NoError(t, err)
	golden.JSON(t, "scp.json", d.Indented())
	assert.LessOrEqual(t, len(d.JSON()), policy.MaxSCPSize)

	// Only exempt names with "*" as the account are protected as role
	// names; a pinned role is exempt in its own account only.
	var protected policy.Values
	for _, st := range d.Statement {
		if st.Sid == policy.SidProtectRunAsRoles {
			protected = st.Resource
		}
	}
	assert.ElementsMatch(t, policy.Values{policy.StackSetExecutionRoleARN, policy.WriterRoleARN,
		"arn:aws:iam::*:role/ssm-runas-remediation"}, protected)
}

func TestGuardrailSCPNeedsStackSetName(t *testing.T) {
	_, err := policy.GuardrailSCP(policy.SCPArgs{})
	assert.ErrorContains(t, err, "StackSet name is required")
}

func TestGuardrailSCPTooLarge(t *testing.T) {
	var many []string
	for i := 0; i < 200; i++ {
		many = append(many, "arn:aws:iam::333333333333:role/pipeline-"+strings.Repeat("x", 20)+string(rune('a'+i%26))+strings.Repeat("y", i%7))
	}
	_, err := policy.GuardrailSCP(policy.SCPArgs{ExemptRoleARNs: many, StackSetName: "s"})
	assert.ErrorContains(t, err, "over the 5120")
	_, err = policy.SessionPreferencesSCP(many)
	assert.ErrorContains(t, err, "over the 5120")
}

func TestArtifactBucketPolicy(t *testing.T) {
	d := policy.ArtifactBucketPolicy("ssm-runas-artifacts-111111111111-eu-west-1", "o-a1b2c3d4e5")
	golden.JSON(t, "bucket_policy.json", d.Indented())
}

func TestPermissionSetSessionPolicy(t *testing.T) {
	tests := []struct {
		name string
		args policy.PermissionSetPolicyArgs
		// denies are the Sids of the Deny statements the policy must hold.
		denies []string
	}{
		{"default", policy.PermissionSetPolicyArgs{},
			[]string{policy.SidDenyStartSessionWithoutRunAsTag, policy.SidDenyOtherSessionDocuments, policy.SidDenyRunningCommandsOnInstances}},
		{"tagged_instances_documents_alias", policy.PermissionSetPolicyArgs{
			AllowedDocuments: []string{"AWS-StartPortForwardingSession"},
			InstanceTagKey:   "workload", InstanceTagValue: "oracle",
			KMSKeyID: "alias/ssm-sessions",
		}, []string{policy.SidDenyStartSessionWithoutRunAsTag, policy.SidDenyOtherSessionDocuments, policy.SidDenyRunningCommandsOnInstances}},
		{"key_arn", policy.PermissionSetPolicyArgs{KMSKeyID: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			[]string{policy.SidDenyStartSessionWithoutRunAsTag, policy.SidDenyOtherSessionDocuments, policy.SidDenyRunningCommandsOnInstances}},
		{"role_users_regions_commands", policy.PermissionSetPolicyArgs{
			RoleUsers: []string{"developer", "admin"}, ReservedUsers: []string{"ubuntu"},
			Regions: []string{"eu-west-1"}, AllowCommands: true,
		}, []string{policy.SidDenyRunAsOutsideRoleUsers, policy.SidDenyOtherSessionDocuments, policy.SidDenyStartSessionOutsideRegions}},
		{"reserved_users", policy.PermissionSetPolicyArgs{ReservedUsers: []string{"ubuntu", "ec2-user"}},
			[]string{policy.SidDenyStartSessionWithoutRunAsTag, policy.SidDenyReservedRunAsUsers, policy.SidDenyOtherSessionDocuments, policy.SidDenyRunningCommandsOnInstances}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := policy.PermissionSetSessionPolicy(tc.args)
			golden.JSON(t, "policy.json", d.Indented())
			var denies []string
			for _, s := range d.Statement {
				if s.Effect == policy.Deny {
					denies = append(denies, s.Sid)
				}
			}
			// What the denies decide is evaluated in internal/iamsim; here
			// the set of denies must not drift.
			assert.ElementsMatch(t, tc.denies, denies)
		})
	}
}
