package entrasync_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/entrasync"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const (
	spID       = "5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b"
	jobID      = "aWSSingleSignon.0f3a9c1e2b4d4e6f8a0b1c2d3e4f5a6b.61318f71-9c58-4f75-b8af-329e649fcd80"
	costCenter = settings.DefaultTargetAttribute
)

// synchronization serves the replayed Graph shapes the graph package keeps.
func synchronization(t *testing.T) *fakegraph.Server {
	read := func(name string) []byte {
		b, err := os.ReadFile("../graph/testdata/" + name)
		require.NoError(t, err)
		return b
	}
	g := fakegraph.New(t)
	g.SetSynchronization(spID, settings.DefaultApplicationName, read("templates.json"), read("jobs.json"), read("schema.json"))
	return g
}

func perUserEntra() *settings.Entra {
	return &settings.Entra{
		ApplicationName: settings.DefaultApplicationName,
		SCIM: settings.SCIM{
			SourceAttribute: settings.DefaultPerUserSourceAttribute,
			Mapping:         settings.MappingLowercase,
			TargetAttribute: costCenter,
			TemplateID:      settings.DefaultSyncTemplateID,
		},
	}
}

func TestMappingSourceFor(t *testing.T) {
	e := perUserEntra()
	assert.Equal(t, graph.ToLowerSource("onPremisesSamAccountName"), entrasync.MappingSourceFor(e))
	e.SCIM.SourceAttribute, e.SCIM.Mapping = "extensionAttribute1", settings.MappingDirect
	assert.Equal(t, graph.AttributeSource("extensionAttribute1"), entrasync.MappingSourceFor(e))
}

func TestConfigureMapping(t *testing.T) {
	g := synchronization(t)
	c := newClient(t, g)
	ctx := context.Background()
	req := entrasync.MappingRequestFor(perUserEntra())

	res, err := entrasync.ConfigureMapping(ctx, c, req)
	require.NoError(t, err)
	assert.Equal(t, spID, res.ServicePrincipalID, "found by the application's name")
	assert.Equal(t, jobID, res.JobID)
	assert.True(t, res.Template.LookedUp)
	assert.Equal(t, "template aWSSingleSignon found by factory tag aWSSingleSignon", res.Template.Note)
	require.Len(t, res.Changes, 1)
	assert.Equal(t, graph.MappingChange{Action: "added", Rule: "USER_OUTBOUND_RULE", ObjectMapping: "Provision Microsoft Entra ID Users",
		After: "ToLower([onPremisesSamAccountName], )"}, res.Changes[0])
	assert.True(t, res.Pending)
	assert.False(t, res.Written)
	assert.Zero(t, g.SchemaPuts, "a dry run wrote")

	req.Apply, req.Start = true, true
	res, err = entrasync.ConfigureMapping(ctx, c, req)
	require.NoError(t, err)
	assert.True(t, res.Written)
	assert.True(t, res.Started)
	assert.Equal(t, 1, g.SchemaPuts)
	assert.Equal(t, 1, g.Starts)
	assert.Contains(t, string(g.Schema()), `"expression": "ToLower([onPremisesSamAccountName], )"`)

	req.Start = false
	res, err = entrasync.ConfigureMapping(ctx, c, req)
	require.NoError(t, err)
	assert.Equal(t, "unchanged", res.Changes[0].Action, "a second run must change nothing")
	assert.False(t, res.Pending)
	assert.False(t, res.Written)
	assert.Equal(t, 1, g.SchemaPuts)
}

func TestConfigureMappingFallsBackAndSaysSo(t *testing.T) {
	g := synchronization(t)
	g.TemplatesForbidden = true
	req := entrasync.MappingRequestFor(perUserEntra())
	req.ServicePrincipalID = spID
	res, err := entrasync.ConfigureMapping(context.Background(), newClient(t, g), req)
	require.NoError(t, err)
	assert.False(t, res.Template.LookedUp)
	assert.Contains(t, res.Template.Note, "could not list the synchronization templates")
	assert.Contains(t, res.Template.Note, "Insufficient privileges")
	assert.Contains(t, res.Template.Note, "using the constant aWSSingleSignon")
	assert.Equal(t, jobID, res.JobID)
}

func TestConfigureMappingRefuses(t *testing.T) {
	ctx := context.Background()
	t.Run("no such application", func(t *testing.T) {
		g := synchronization(t)
		req := entrasync.MappingRequestFor(perUserEntra())
		req.ApplicationName = "Another App"
		_, err := entrasync.ConfigureMapping(ctx, newClient(t, g), req)
		assert.ErrorContains(t, err, `0 service principals are named "Another App"`)
	})
	t.Run("target not in the schema", func(t *testing.T) {
		g := synchronization(t)
		req := entrasync.MappingRequestFor(perUserEntra())
		req.TargetAttribute = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division"
		_, err := entrasync.ConfigureMapping(ctx, newClient(t, g), req)
		assert.ErrorContains(t, err, "schema of "+jobID+": no directory of the synchronization schema defines urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division")
		assert.Zero(t, g.SchemaPuts)
	})
	t.Run("no job from the template", func(t *testing.T) {
		g := synchronization(t)
		g.SetSynchronization(spID, settings.DefaultApplicationName, []byte(`{"value":[{"id":"aWSSingleSignon","factoryTag":"aWSSingleSignon"}]}`), []byte(`{"value":[]}`), nil)
		_, err := entrasync.ConfigureMapping(ctx, newClient(t, g), entrasync.MappingRequestFor(perUserEntra()))
		assert.ErrorContains(t, err, "no synchronization job from template aWSSingleSignon")
	})
}
