package audit_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
)

// TestReportShowsTargetSubjectsAndPartialErrors: the account-region
// findings of the member checks name their subject (a role, an instance),
// and a target whose later check failed keeps the findings of the checks
// that ran, in every format.
func TestReportShowsTargetSubjectsAndPartialErrors(t *testing.T) {
	rep := audit.Report{Targets: []audit.Target{
		{Account: "222222222222", Region: "eu-west-1", Status: audit.StatusMissing, Findings: []audit.Finding{
			{Check: audit.CheckSessionRoleMissing, Subject: "ssm-runas-session-eu-west-1", Want: "the broker's session role", Got: "none"},
		}},
		{Account: "333333333333", Region: "eu-west-1", Status: audit.StatusError,
			Error: "checking the hosts tagged for joining in 333333333333/eu-west-1: AccessDenied",
			Findings: []audit.Finding{
				{Check: audit.CheckRunAsOff, Want: "true", Got: "false"},
			}},
	}}
	var table, md, page strings.Builder
	rep.WriteTable(&table)
	rep.WriteMarkdown(&md)
	require.NoError(t, rep.WriteHTML(&page))

	assert.Regexp(t, `222222222222\s+eu-west-1\s+missing\s+session-role-missing\s+ssm-runas-session-eu-west-1: the broker's session role\s+none`, table.String())
	assert.Regexp(t, `333333333333\s+eu-west-1\s+error\s+-\s+-\s+checking the hosts tagged for joining`, table.String())
	assert.Regexp(t, `333333333333\s+eu-west-1\s+error\s+run-as-enabled\s+true\s+false`, table.String())

	assert.Contains(t, md.String(), "| 222222222222 | eu-west-1 | missing | session-role-missing | ssm-runas-session-eu-west-1: the broker's session role | none |")
	assert.Contains(t, md.String(), "| 333333333333 | eu-west-1 | error | | | checking the hosts tagged for joining in 333333333333/eu-west-1: AccessDenied |")
	assert.Contains(t, md.String(), "| 333333333333 | eu-west-1 | error | run-as-enabled | true | false |")

	assert.Contains(t, page.String(), "<li><b>session-role-missing</b> ssm-runas-session-eu-west-1: want the broker&#39;s session role, got none</li>")
	assert.Contains(t, page.String(), "<li><b>run-as-enabled</b>: want true, got false</li>")
}
