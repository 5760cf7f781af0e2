package iamsim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/iamsim"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// TestPerUserPermissionSets: without role users (per-user model) a
// permission set denies sessions without the tag and with a reserved value
// itself. The cases run in the management account, where no SCP repeats
// the reserved list, and each of the two statements is shown to matter.
func TestPerUserPermissionSets(t *testing.T) {
	require.NoError(t, iamsim.Check())
	c := loadExample(t)
	c.Model = settings.ModelPerUser
	docs := documents(t, c)
	const ps = "SSM-Developer"
	table := []tcase{
		session(sso(management, ps, "alice", tag("alice")), management, covered, "SSM-SessionManagerRunShell", true, ""),
		session(sso(management, ps, "alice", nil), management, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyStartSessionWithoutRunAsTag),
		session(sso(management, ps, "alice", tag("ubuntu")), management, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyReservedRunAsUsers),
		// Another stock account from the default reserved list.
		session(sso(management, ps, "alice", tag("ec2-user")), management, covered, "SSM-SessionManagerRunShell", false, policy.SidDenyReservedRunAsUsers),
	}
	got := decide(t, table, docs)
	for i, tc := range table {
		require.Empty(t, got[i].Errors)
		assert.Equal(t, tc.allowed, got[i].Allowed, "case %d denied by %v", i, got[i].Denies)
		if tc.denyBy != "" {
			assert.Contains(t, got[i].Denies, tc.denyBy, "case %d", i)
		}
	}
	for _, sid := range []string{policy.SidDenyStartSessionWithoutRunAsTag, policy.SidDenyReservedRunAsUsers} {
		cut := map[string]policy.Document{}
		for k, d := range docs {
			var kept []policy.Statement
			for _, st := range d.Statement {
				if st.Sid != sid || k == scpKey {
					kept = append(kept, st)
				}
			}
			cut[k] = policy.Document{Version: d.Version, Statement: kept}
		}
		mutated := decide(t, table, cut)
		flipped := 0
		for i := range table {
			if mutated[i].Allowed != got[i].Allowed {
				flipped++
			}
		}
		assert.NotZero(t, flipped, "removing %s from the permission sets changes no decision", sid)
	}
}
