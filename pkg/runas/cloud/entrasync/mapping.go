package entrasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// SynchronizationAPI is the part of Graph ConfigureMapping needs;
// *graph.Client satisfies it.
type SynchronizationAPI interface {
	ServicePrincipalsByName(ctx context.Context, name string) ([]graph.ServicePrincipal, error)
	SyncTemplates(ctx context.Context, spID string) ([]graph.SyncTemplate, error)
	SyncJobs(ctx context.Context, spID string) ([]graph.SyncJob, error)
	GetSchema(ctx context.Context, spID, jobID string) (json.RawMessage, error)
	PutSchema(ctx context.Context, spID, jobID string, schema json.RawMessage) error
	StartJob(ctx context.Context, spID, jobID string) error
}

// MappingRequest says which mapping the provisioning job should have.
type MappingRequest struct {
	// ServicePrincipalID is optional: the object id of the application's
	// service principal (the stack output servicePrincipalObjectId). When
	// empty, the one service principal named ApplicationName is used.
	ServicePrincipalID string
	// ApplicationName is required when ServicePrincipalID is empty.
	ApplicationName string
	// TemplateID is required: the factory tag of the synchronization
	// template (aWSSingleSignon), used as the template id only when the
	// templates cannot be listed.
	TemplateID string
	// Source is required: the attribute or expression the value comes from.
	Source graph.MappingSource
	// TargetAttribute is required: the SCIM attribute Identity Center keeps
	// the value in.
	TargetAttribute string
	// Apply writes the schema; without it nothing is written.
	Apply bool
	// Start starts the provisioning job after writing (with Apply).
	Start bool
}

// MappingResult is what ConfigureMapping found and did.
type MappingResult struct {
	ServicePrincipalID string `json:"servicePrincipalId"`
	// Template is the template used and how it was chosen; Template.Note
	// says so in a sentence.
	Template graph.TemplateChoice `json:"template"`
	JobID    string               `json:"jobId"`
	// Changes is one entry per User object mapping.
	Changes []graph.MappingChange `json:"changes"`
	// Pending is set when the schema differs from the request.
	Pending bool `json:"pending"`
	// Written and Started say what was done.
	Written bool `json:"written"`
	Started bool `json:"started"`
}

// MappingSourceFor returns the mapping source the configuration asks for:
// the source attribute as it is, or lower-cased by an expression.
func MappingSourceFor(e *settings.Entra) graph.MappingSource {
	if e.SCIM.Mapping == settings.MappingLowercase {
		return graph.ToLowerSource(e.SCIM.SourceAttribute)
	}
	return graph.AttributeSource(e.SCIM.SourceAttribute)
}

// MappingRequestFor returns the request for the configured mapping; the
// caller sets the service principal, Apply and Start.
func MappingRequestFor(e *settings.Entra) MappingRequest {
	return MappingRequest{
		ApplicationName: e.ApplicationName,
		TemplateID:      e.SCIM.TemplateID,
		Source:          MappingSourceFor(e),
		TargetAttribute: e.SCIM.TargetAttribute,
	}
}

// ConfigureMapping makes the provisioning job map req.Source to
// req.TargetAttribute: it finds the service principal, picks the
// synchronization template by factory tag (falling back to req.TemplateID
// only when the templates cannot be listed, and saying so), finds the job
// made from it, reads its schema and changes or adds the one mapping,
// keeping everything else (PUT replaces the whole schema). With req.Apply
// it writes the schema when it changed, and with req.Start it then starts
// the job. A second run changes nothing.
func ConfigureMapping(ctx context.Context, api SynchronizationAPI, req MappingRequest) (MappingResult, error) {
	if req.TemplateID == "" || req.TargetAttribute == "" || req.Source.Expression == "" {
		return MappingResult{}, errors.New("configuring the mapping: template id, source and target attribute are required")
	}
	res := MappingResult{ServicePrincipalID: req.ServicePrincipalID}
	if res.ServicePrincipalID == "" {
		if req.ApplicationName == "" {
			return res, errors.New("configuring the mapping: a service principal id or an application name is required")
		}
		sps, err := api.ServicePrincipalsByName(ctx, req.ApplicationName)
		if err != nil {
			return res, fmt.Errorf("finding the service principal %q: %w", req.ApplicationName, err)
		}
		if len(sps) != 1 {
			return res, fmt.Errorf("%d service principals are named %q: name the one to use by its object id", len(sps), req.ApplicationName)
		}
		res.ServicePrincipalID = sps[0].ID
	}
	sp := res.ServicePrincipalID
	templates, lookupErr := api.SyncTemplates(ctx, sp)
	if ctx.Err() != nil {
		return res, fmt.Errorf("listing the synchronization templates of %s: %w", sp, lookupErr)
	}
	choice, err := graph.ChooseTemplate(templates, lookupErr, req.TemplateID)
	if err != nil {
		return res, err
	}
	res.Template = choice
	jobs, err := api.SyncJobs(ctx, sp)
	if err != nil {
		return res, fmt.Errorf("listing the synchronization jobs of %s: %w", sp, err)
	}
	for _, j := range jobs {
		if j.TemplateID == choice.ID {
			res.JobID = j.ID
		}
	}
	if res.JobID == "" {
		return res, fmt.Errorf("no synchronization job from template %s on %s: deploy the stack (it creates the job) first", choice.ID, sp)
	}
	schema, err := api.GetSchema(ctx, sp, res.JobID)
	if err != nil {
		return res, fmt.Errorf("reading the schema of %s: %w", res.JobID, err)
	}
	updated, changes, err := graph.MapAttribute(schema, req.Source, req.TargetAttribute)
	if err != nil {
		return res, fmt.Errorf("schema of %s: %w", res.JobID, err)
	}
	res.Changes = changes
	for _, ch := range changes {
		res.Pending = res.Pending || ch.Action != "unchanged"
	}
	if !req.Apply {
		return res, nil
	}
	if res.Pending {
		if err := api.PutSchema(ctx, sp, res.JobID, updated); err != nil {
			return res, fmt.Errorf("writing the schema of %s: %w", res.JobID, err)
		}
		res.Written = true
	}
	if req.Start {
		if err := api.StartJob(ctx, sp, res.JobID); err != nil {
			return res, fmt.Errorf("starting %s: %w", res.JobID, err)
		}
		res.Started = true
	}
	return res, nil
}
