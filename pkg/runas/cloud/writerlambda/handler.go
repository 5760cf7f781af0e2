package writerlambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

// Request types.
const (
	RequestCreate = "Create"
	RequestUpdate = "Update"
	RequestDelete = "Delete"
)

// Response statuses.
const (
	StatusSuccess = "SUCCESS"
	StatusFailed  = "FAILED"
)

// MaxResponseBytes is the largest response body CloudFormation accepts.
const MaxResponseBytes = 4096

// DefaultMargin is how long before the Lambda's deadline the handler stops
// working and reports a timeout, so CloudFormation is never left waiting.
const DefaultMargin = 10 * time.Second

// Event is a custom resource request.
type Event struct {
	RequestType string `json:"RequestType"`
	// ServiceToken is the function CloudFormation invoked; Lambda-backed
	// requests carry it beside ResourceProperties.ServiceToken.
	ServiceToken          string          `json:"ServiceToken,omitempty"`
	ResponseURL           string          `json:"ResponseURL"`
	StackID               string          `json:"StackId"`
	RequestID             string          `json:"RequestId"`
	ResourceType          string          `json:"ResourceType"`
	LogicalResourceID     string          `json:"LogicalResourceId"`
	PhysicalResourceID    string          `json:"PhysicalResourceId,omitempty"`
	ResourceProperties    json.RawMessage `json:"ResourceProperties"`
	OldResourceProperties json.RawMessage `json:"OldResourceProperties,omitempty"`
}

// Response is what the handler PUTs to the response URL.
type Response struct {
	Status             string            `json:"Status"`
	Reason             string            `json:"Reason,omitempty"`
	PhysicalResourceID string            `json:"PhysicalResourceId"`
	StackID            string            `json:"StackId"`
	RequestID          string            `json:"RequestId"`
	LogicalResourceID  string            `json:"LogicalResourceId"`
	Data               map[string]string `json:"Data,omitempty"`
}

// Handler answers preferences requests.
type Handler struct {
	// API is required: the SSM client of this account and region.
	API ssmprefs.DocumentAPI
	// Stack is required: the CloudFormation client of this account and
	// region, to check each request against CloudFormation's record.
	Stack StackResourceAPI
	// Self is required: the stack this function belongs to (ParseSelf of
	// the environment variable writerprops.EnvStackID).
	Self Self
	// HTTP is optional, default a client with a 30s timeout; it PUTs the response.
	HTTP *http.Client
	// Margin is optional, default DefaultMargin.
	Margin time.Duration
	// PermissionWait is optional, default DefaultPermissionWait: the pauses
	// between asking CloudFormation again while it answers AccessDenied.
	PermissionWait []time.Duration
	// Log is optional, default slog.Default().
	Log *slog.Logger
}

type outcome struct {
	physicalID string
	data       map[string]string
	err        error
}

// Handle processes ev and answers its response URL. A request whose
// response URL is not CloudFormation's (for this stack's region and
// partition) is not answered at all: it is logged and returned as a
// *RefusedError. Every other request is answered; the returned error is
// then only about that answer: a failed or refused request is reported to
// CloudFormation as FAILED, not returned. Nothing is written for a request
// that does not come from CloudFormation for this stack.
func (h *Handler) Handle(ctx context.Context, ev Event) error {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("requestType", ev.RequestType, "requestId", ev.RequestID, "stackId", ev.StackID)
	if h.Self.StackID == "" || h.Stack == nil {
		err := refused("the function does not know its stack (%s is not set) or cannot read it", writerprops.EnvStackID)
		log.Error("request not answered", "error", err)
		return err
	}
	if err := h.Self.CheckResponseURL(ev.ResponseURL); err != nil {
		// Never send anything to an address CloudFormation did not make.
		log.Error("request not answered", "error", err)
		return err
	}
	margin := h.Margin
	if margin == 0 {
		margin = DefaultMargin
	}
	workCtx, cancel := context.WithCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		workCtx, cancel = context.WithDeadline(ctx, dl.Add(-margin))
	}
	defer cancel()

	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: fmt.Errorf("internal error: %v", r)}
			}
		}()
		done <- h.process(workCtx, ev, log)
	}()

	var out outcome
	select {
	case out = <-done:
	case <-workCtx.Done():
		out = outcome{err: fmt.Errorf("timed out before the Lambda deadline: %w", workCtx.Err())}
	}

	resp := Response{
		Status:             StatusSuccess,
		PhysicalResourceID: out.physicalID,
		StackID:            ev.StackID,
		RequestID:          ev.RequestID,
		LogicalResourceID:  ev.LogicalResourceID,
		Data:               out.data,
	}
	if resp.PhysicalResourceID == "" {
		resp.PhysicalResourceID = ev.PhysicalResourceID
	}
	if resp.PhysicalResourceID == "" {
		// A Create that failed before it wrote: the rollback Delete will
		// carry this id and must do nothing.
		resp.PhysicalResourceID = failedCreateID(ev.RequestID)
	}
	var ref *RefusedError
	if errors.As(out.err, &ref) {
		log.Warn("refused a request that does not come from CloudFormation for this stack", "reason", ref.Reason)
	}
	if out.err != nil {
		resp.Status = StatusFailed
		resp.Reason = out.err.Error()
		resp.Data = nil
		log.Error("request failed", "error", out.err)
	} else {
		log.Info("request done", "physicalResourceId", resp.PhysicalResourceID, "data", resp.Data)
	}
	return h.send(ctx, ev.ResponseURL, resp)
}

func (h *Handler) permissionWait() []time.Duration {
	if h.PermissionWait == nil {
		return DefaultPermissionWait
	}
	return h.PermissionWait
}

func (h *Handler) process(ctx context.Context, ev Event, log *slog.Logger) outcome {
	var req writerprops.Request
	var err error
	switch ev.RequestType {
	case RequestCreate, RequestUpdate:
		req, err = writerprops.Decode(ev.ResourceProperties)
	case RequestDelete:
		req, err = writerprops.DecodeDelete(ev.ResourceProperties)
	default:
		return outcome{err: fmt.Errorf("request type %q: must be Create, Update or Delete", ev.RequestType)}
	}
	if err != nil {
		return outcome{err: err}
	}
	if err := h.Self.checkEvent(ctx, ev, req.ServiceToken); err != nil {
		return outcome{err: err}
	}
	switch ev.RequestType {
	case RequestCreate, RequestUpdate:
		if err := h.Self.checkRecord(ctx, h.Stack, ev, h.permissionWait()); err != nil {
			return outcome{err: err}
		}
		res, err := ssmprefs.Upsert(ctx, h.API, sessiondoc.DocumentName, req.Preferences, ssmprefs.Options{})
		if err != nil {
			return outcome{err: err}
		}
		log.Info("upserted", "outcome", res.Outcome, "defaultVersion", res.DefaultVersion, "changes", res.Changes)
		id := ev.PhysicalResourceID
		if ev.RequestType == RequestCreate || !isOurs(id) {
			// The restore point is what the first write found; updates keep it.
			id = EncodePhysicalID(ssmprefs.PriorOf(res.Before))
		}
		return outcome{physicalID: id, data: map[string]string{writerprops.DataDefaultVersion: res.DefaultVersion}}
	default: // RequestDelete
		prior, ok := DecodePhysicalID(ev.PhysicalResourceID)
		if !ok {
			log.Info("nothing to restore", "physicalResourceId", ev.PhysicalResourceID)
			return outcome{physicalID: ev.PhysicalResourceID}
		}
		// The restore point is trusted only as CloudFormation recorded it.
		if err := h.Self.checkRecord(ctx, h.Stack, ev, h.permissionWait()); err != nil {
			return outcome{physicalID: ev.PhysicalResourceID, err: err}
		}
		action, err := ssmprefs.Restore(ctx, h.API, sessiondoc.DocumentName, prior)
		if err != nil {
			return outcome{physicalID: ev.PhysicalResourceID, err: err}
		}
		log.Info("restored", "action", action)
		return outcome{physicalID: ev.PhysicalResourceID}
	}
}

// Physical ids. They carry the restore point:
//
//	ssm-runas:SSM-SessionManagerRunShell:prior=absent
//	ssm-runas:SSM-SessionManagerRunShell:prior=3
const (
	physicalPrefix = "ssm-runas:" + sessiondoc.DocumentName + ":prior="
	priorAbsent    = "absent"
	failedPrefix   = "ssm-runas:failed-create:"
)

// EncodePhysicalID renders the restore point as a physical resource id.
func EncodePhysicalID(p ssmprefs.Prior) string {
	if !p.Existed {
		return physicalPrefix + priorAbsent
	}
	return physicalPrefix + p.DefaultVersion
}

// DecodePhysicalID reads a restore point; ok is false for ids that hold
// none (a Create that failed before writing).
func DecodePhysicalID(id string) (ssmprefs.Prior, bool) {
	v, ok := strings.CutPrefix(id, physicalPrefix)
	if !ok || v == "" {
		return ssmprefs.Prior{}, false
	}
	if v == priorAbsent {
		return ssmprefs.Prior{Existed: false}, true
	}
	return ssmprefs.Prior{Existed: true, DefaultVersion: v}, true
}

func isOurs(id string) bool { _, ok := DecodePhysicalID(id); return ok }

func failedCreateID(requestID string) string { return failedPrefix + requestID }

// send PUTs the response, retrying a few times: a lost answer leaves the
// stack waiting for ServiceTimeout.
func (h *Handler) send(ctx context.Context, url string, resp Response) error {
	body, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		over := len(body) - MaxResponseBytes
		resp.Reason = resp.Reason[:max(0, len(resp.Reason)-over-3)] + "..."
		if body, err = json.Marshal(resp); err != nil {
			return fmt.Errorf("encoding response: %w", err)
		}
	}
	client := h.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(lastErr, ctx.Err())
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("answering CloudFormation: %w", err)
		}
		// The response URL is a presigned S3 URL signed without a content type.
		req.Header.Del("Content-Type")
		req.ContentLength = int64(len(body))
		r, err := client.Do(req)
		if err != nil {
			lastErr = fmt.Errorf("answering CloudFormation: %w", err)
			continue
		}
		r.Body.Close()
		if r.StatusCode/100 == 2 {
			return nil
		}
		lastErr = fmt.Errorf("answering CloudFormation: HTTP %d", r.StatusCode)
	}
	return lastErr
}
