package policy_test

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

func ExampleGuardrailSCP() {
	scp, err := policy.GuardrailSCP(policy.SCPArgs{
		ExemptRoleARNs: []string{"arn:aws:iam::333333333333:role/platform-pipeline"},
		StackSetName:   "ssm-runas-session-preferences",
		ReservedUsers:  []string{"ec2-user", "ssm-user", "ubuntu"},
		Regions:        []string{"eu-west-1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range scp.Statement {
		fmt.Println(st.Effect, st.Sid)
	}
	// Output:
	// Deny ProtectSessionManagerPreferences
	// Deny ProtectPreferencesWriter
	// Deny ProtectPreferencesStack
	// Deny ProtectRunAsRoles
	// Deny DenyRunAsTagOnIAMPrincipals
	// Deny DenyRunAsSessionTags
	// Deny DenyReservedRunAsUsers
	// Deny DenyStartSessionOutsideRegions
}

func ExamplePermissionSetSessionPolicy() {
	d := policy.PermissionSetSessionPolicy(policy.PermissionSetPolicyArgs{
		RoleUsers: []string{"admin", "developer"},
		Regions:   []string{"eu-west-1"},
	})
	for _, st := range d.Statement {
		fmt.Println(st.Effect, st.Sid)
	}
	// Output:
	// Allow StartSessionOnInstances
	// Allow StartSessionWithAllowedDocuments
	// Deny DenyRunAsOutsideRoleUsers
	// Deny DenyOtherSessionDocuments
	// Deny DenyStartSessionOutsideRegions
	// Deny DenyRunningCommandsOnInstances
	// Allow EndAndResumeOwnSessions
	// Allow SessionManagerConsoleRead
}
