package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// SyncTemplate is a synchronization template of a service principal.
type SyncTemplate struct {
	ID         string `json:"id"`
	FactoryTag string `json:"factoryTag"`
	Default    bool   `json:"default"`
}

// SyncJob is a synchronization job.
type SyncJob struct {
	ID         string `json:"id"`
	TemplateID string `json:"templateId"`
	Status     struct {
		Code string `json:"code"`
	} `json:"status"`
}

// ServicePrincipal is the part of a service principal the tools read.
type ServicePrincipal struct {
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
}

// ServicePrincipalsByName lists service principals with that display name.
func (c *Client) ServicePrincipalsByName(ctx context.Context, name string) ([]ServicePrincipal, error) {
	q := url.Values{"$filter": {"displayName eq " + odataQuote(name)}, "$select": {"id,appId,displayName"}}
	return list[ServicePrincipal](ctx, c, request{method: "GET", path: "/servicePrincipals?" + q.Encode()})
}

// SyncTemplates lists the service principal's synchronization templates.
func (c *Client) SyncTemplates(ctx context.Context, spID string) ([]SyncTemplate, error) {
	return list[SyncTemplate](ctx, c, request{method: "GET", path: "/servicePrincipals/" + url.PathEscape(spID) + "/synchronization/templates"})
}

// SyncJobs lists the service principal's synchronization jobs.
func (c *Client) SyncJobs(ctx context.Context, spID string) ([]SyncJob, error) {
	return list[SyncJob](ctx, c, request{method: "GET", path: "/servicePrincipals/" + url.PathEscape(spID) + "/synchronization/jobs"})
}

func schemaPath(spID, jobID string) string {
	return "/servicePrincipals/" + url.PathEscape(spID) + "/synchronization/jobs/" + url.PathEscape(jobID) + "/schema"
}

// GetSchema reads a job's synchronization schema as Graph returns it.
func (c *Client) GetSchema(ctx context.Context, spID, jobID string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, request{method: "GET", path: schemaPath(spID, jobID)}, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// PutSchema replaces the job's schema with schema, which must be what
// GetSchema returned, modified.
func (c *Client) PutSchema(ctx context.Context, spID, jobID string, schema json.RawMessage) error {
	return c.do(ctx, request{method: "PUT", path: schemaPath(spID, jobID), body: schema}, nil)
}

// StartJob starts (or restarts) a synchronization job.
func (c *Client) StartJob(ctx context.Context, spID, jobID string) error {
	return c.do(ctx, request{method: "POST", path: "/servicePrincipals/" + url.PathEscape(spID) +
		"/synchronization/jobs/" + url.PathEscape(jobID) + "/start"}, nil)
}

// TemplateChoice is the template to use and where it came from.
type TemplateChoice struct {
	ID string `json:"id"`
	// LookedUp is false when the constant was used because the lookup
	// was not possible.
	LookedUp bool `json:"lookedUp"`
	// Note says in a sentence how the template was chosen.
	Note string `json:"note"`
}

// ChooseTemplate picks the synchronization template whose factory tag is
// want (aWSSingleSignon for the gallery application) from a lookup. When
// the lookup failed (lookupErr), it falls back to want and says so.
func ChooseTemplate(templates []SyncTemplate, lookupErr error, want string) (TemplateChoice, error) {
	if lookupErr != nil {
		return TemplateChoice{ID: want, Note: fmt.Sprintf("could not list the synchronization templates (%v); using the constant %s", lookupErr, want)}, nil
	}
	var ids []string
	for _, t := range templates {
		if t.FactoryTag == want || t.ID == want {
			return TemplateChoice{ID: t.ID, LookedUp: true, Note: "template " + t.ID + " found by factory tag " + t.FactoryTag}, nil
		}
		ids = append(ids, t.ID+" ("+t.FactoryTag+")")
	}
	return TemplateChoice{}, fmt.Errorf("no synchronization template with factory tag %s among %v: is this the gallery application \"AWS IAM Identity Center (successor to AWS Single Sign-On)\"?", want, ids)
}
