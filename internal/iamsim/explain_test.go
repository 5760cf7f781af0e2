package iamsim_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/explain"
)

// iamFailures are the explain failures that mean IAM denies StartSession.
var iamFailures = []explain.Failure{
	explain.TagAbsent, explain.NotRoleUser, explain.Reserved, explain.RegionNotCovered, explain.DocumentNotAllowed,
}

// TestExplainAgreesWithEvaluator: for every combination of Run As value,
// permission set, region and document below, `runas explain` and the IAM
// policy evaluator reach the same decision on StartSession.
func TestExplainAgreesWithEvaluator(t *testing.T) {
	require.NoError(t, iamsim.Check())
	c := loadExample(t)
	docs := documents(t, c)

	values := []*string{nil, tag("developer"), tag("admin"), tag("admin "), tag("ec2-user"), tag("ubuntu"), tag("ssm-revoked"), tag("root"), tag("alice")}
	permissionSets := []string{"SSM-Developer", "SSM-Support", "SSM-Admin"}
	regions := []string{covered, "us-east-1", uncovered}
	documentNames := []string{"SSM-SessionManagerRunShell", "AWS-StartPortForwardingSession", "AWS-StartSSHSession"}

	type combo struct {
		value      *string
		ps, region string
		doc        string
		explained  bool // explain says IAM allows it
		trace      string
	}
	var combos []combo
	var table []tcase
	for _, v := range values {
		for _, ps := range permissionSets {
			for _, region := range regions {
				for _, doc := range documentNames {
					req := explain.Request{User: "p", PermissionSet: ps, Document: doc, Region: region, AttributeValues: []string{}}
					if v != nil {
						req.AttributeValues = []string{*v}
					}
					res, err := explain.Explain(c, req)
					require.NoError(t, err)
					allowed := res.Failure == nil || !slices.Contains(iamFailures, *res.Failure)
					combos = append(combos, combo{v, ps, region, doc, allowed, fmt.Sprint(res.Steps)})
					table = append(table, session(sso(member, ps, "p", v), member, region, doc, allowed, ""))
				}
			}
		}
	}
	got := decide(t, table, docs)
	for i, cb := range combos {
		value := "(none)"
		if cb.value != nil {
			value = fmt.Sprintf("%q", *cb.value)
		}
		require.Empty(t, got[i].Errors)
		assert.Equal(t, got[i].Allowed, cb.explained, "value %s, %s, %s, %s: evaluator allowed=%v (denied by %v), explain: %s",
			value, cb.ps, cb.region, cb.doc, got[i].Allowed, got[i].Denies, cb.trace)
	}
}
