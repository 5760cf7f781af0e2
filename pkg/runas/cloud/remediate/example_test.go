package remediate_test

import (
	"os"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/remediate"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// WriteDiff shows what a dry run would write, and what it leaves to the
// stack with the command that repairs it.
func ExampleReport_WriteDiff() {
	rep := remediate.Report{
		Targets: []remediate.Target{
			{Account: "111111111111", Region: "eu-west-1", Outcome: "updated", Changes: []sessiondoc.Change{{Input: "inputs.runAsEnabled", Got: "false", Want: "true"}}},
			{Account: "222222222222", Region: "eu-west-1", Outcome: "unchanged"},
		},
		Writes: 1, Unchanged: 1,
		Elsewhere: []remediate.Elsewhere{{
			Finding: audit.Finding{Check: "stackset-region", Subject: "us-east-1", Want: "stack instances", Got: "none"},
			Command: "pulumi up --refresh --stack prod",
		}},
	}
	rep.WriteDiff(os.Stdout)
	// Output:
	// ~ 111111111111/eu-west-1: SSM-SessionManagerRunShell would be updated
	//     inputs.runAsEnabled  false  ->  true
	// 1 to write, 1 unchanged, 0 failed
	//
	// owned by the Pulumi stack, not repaired here:
	//   stackset-region  us-east-1  want stack instances  got none
	// repair with: pulumi up --refresh --stack prod
}
