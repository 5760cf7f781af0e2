package writerlambda_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/writerlambda"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// cloudFormation records what the handler PUTs to the response URL.
type cloudFormation struct {
	*httptest.Server
	mu        sync.Mutex
	responses []writerlambda.Response
	types     []string
}

func newCloudFormation(t *testing.T) *cloudFormation {
	cf := &cloudFormation{}
	cf.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			t.Errorf("response sent with %s, want PUT", r.Method)
		}
		body, _ := io.ReadAll(r.Body)
		var resp writerlambda.Response
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Errorf("response is not JSON: %s", body)
		}
		cf.mu.Lock()
		cf.responses = append(cf.responses, resp)
		cf.types = append(cf.types, r.Header.Get("Content-Type"))
		cf.mu.Unlock()
	}))
	t.Cleanup(cf.Close)
	return cf
}

func (cf *cloudFormation) last(t *testing.T) writerlambda.Response {
	t.Helper()
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if len(cf.responses) == 0 {
		t.Fatal("no response reached the response URL")
	}
	if ct := cf.types[len(cf.types)-1]; ct != "" {
		t.Errorf("Content-Type %q: the presigned URL is signed without one", ct)
	}
	return cf.responses[len(cf.responses)-1]
}

func event(t *testing.T, cf *cloudFormation, requestType, physicalID, user string) writerlambda.Event {
	t.Helper()
	props, err := json.Marshal(cfn.PreferencesProperties{
		ServiceToken:   "arn:aws:lambda:eu-west-1:123456789012:function:ssm-runas-prefs-writer",
		ServiceTimeout: "300",
		DocumentName:   sessiondoc.DocumentName,
		Preferences:    (&sessiondoc.Preferences{RunAsDefaultUser: user}).ManagedInputsJSON(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return writerlambda.Event{
		RequestType: requestType, ResponseURL: cf.URL + "/presigned?sig=x",
		StackID: "arn:aws:cloudformation:eu-west-1:123456789012:stack/StackSet-x/1", RequestID: "req-" + requestType,
		ResourceType: cfn.PreferencesResourceType, LogicalResourceID: cfn.LogicalSessionPreferences,
		PhysicalResourceID: physicalID, ResourceProperties: props,
	}
}

func TestLifecycleAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	api := ssm.NewFromConfig(srv.Config("eu-west-1"))
	cf := newCloudFormation(t)
	h := &writerlambda.Handler{API: api}

	// The account already has console preferences with S3 logging.
	console := `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"s3BucketName":"team-bucket","runAsEnabled":false,"runAsDefaultUser":""}}`
	if _, err := api.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String(sessiondoc.DocumentName), Content: aws.String(console),
		DocumentType: types.DocumentTypeSession, DocumentFormat: types.DocumentFormatJson}); err != nil {
		t.Fatal(err)
	}

	if err := h.Handle(ctx, event(t, cf, "Create", "", "ssm-fallback")); err != nil {
		t.Fatal(err)
	}
	created := cf.last(t)
	if created.Status != "SUCCESS" || created.PhysicalResourceID != "ssm-runas:SSM-SessionManagerRunShell:prior=1" ||
		created.Data[cfn.DataDefaultVersion] != "2" || created.RequestID != "req-Create" {
		t.Fatalf("create response: %+v", created)
	}

	if err := h.Handle(ctx, event(t, cf, "Update", created.PhysicalResourceID, "ops")); err != nil {
		t.Fatal(err)
	}
	updated := cf.last(t)
	if updated.Status != "SUCCESS" || updated.PhysicalResourceID != created.PhysicalResourceID || updated.Data[cfn.DataDefaultVersion] != "3" {
		t.Fatalf("an update must keep the restore point: %+v", updated)
	}

	if err := h.Handle(ctx, event(t, cf, "Delete", created.PhysicalResourceID, "ops")); err != nil {
		t.Fatal(err)
	}
	if deleted := cf.last(t); deleted.Status != "SUCCESS" {
		t.Fatalf("delete response: %+v", deleted)
	}
	st, err := ssmprefs.Read(ctx, api, sessiondoc.DocumentName)
	if err != nil {
		t.Fatal(err)
	}
	if st.DefaultVersion != "1" || !sessiondoc.Equal(st.Default, []byte(console)) {
		t.Fatalf("delete did not restore the console document: v%s %s", st.DefaultVersion, st.Default)
	}
}

func TestFailuresAreReported(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	cf := newCloudFormation(t)

	t.Run("failing AWS call", func(t *testing.T) {
		// An SSM endpoint that refuses every call with AccessDenied, as an
		// SCP or a missing permission would.
		deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"AccessDeniedException","message":"explicit deny in a service control policy"}`)
		}))
		defer deny.Close()
		cfg := srv.Config("eu-west-1")
		cfg.BaseEndpoint = aws.String(deny.URL)
		h := &writerlambda.Handler{API: ssm.NewFromConfig(cfg)}
		if err := h.Handle(ctx, event(t, cf, "Create", "", "ssm-fallback")); err != nil {
			t.Fatal(err)
		}
		resp := cf.last(t)
		if resp.Status != "FAILED" || !strings.Contains(resp.Reason, "explicit deny") ||
			!strings.HasPrefix(resp.PhysicalResourceID, "ssm-runas:failed-create:") {
			t.Fatalf("response: %+v", resp)
		}
		// The rollback Delete of that failed Create must succeed and touch nothing.
		h = &writerlambda.Handler{API: ssm.NewFromConfig(srv.Config("eu-west-1"))}
		if err := h.Handle(ctx, event(t, cf, "Delete", resp.PhysicalResourceID, "ssm-fallback")); err != nil {
			t.Fatal(err)
		}
		if resp := cf.last(t); resp.Status != "SUCCESS" {
			t.Fatalf("rollback delete: %+v", resp)
		}
	})

	t.Run("invalid preferences", func(t *testing.T) {
		srv.Reset(t)
		api := ssm.NewFromConfig(srv.Config("eu-west-1"))
		h := &writerlambda.Handler{API: api}
		if err := h.Handle(ctx, event(t, cf, "Create", "", "root")); err != nil {
			t.Fatal(err)
		}
		resp := cf.last(t)
		if resp.Status != "FAILED" || !strings.Contains(resp.Reason, `preferences.runAsDefaultUser "root"`) {
			t.Fatalf("response: %+v", resp)
		}
		if st, _ := ssmprefs.Read(ctx, api, sessiondoc.DocumentName); st.Exists {
			t.Fatal("an invalid request wrote a document")
		}
	})

	t.Run("about to time out", func(t *testing.T) {
		h := &writerlambda.Handler{API: hangingAPI{}, Margin: 200 * time.Millisecond}
		deadline, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		if err := h.Handle(deadline, event(t, cf, "Create", "", "ssm-fallback")); err != nil {
			t.Fatal(err)
		}
		if resp := cf.last(t); resp.Status != "FAILED" || !strings.Contains(resp.Reason, "timed out") {
			t.Fatalf("response: %+v", resp)
		}
	})
}

// hangingAPI stands in for an SSM endpoint that never answers; moto cannot
// be made to hang, and the point is the handler's own deadline.
type hangingAPI struct{ ssmprefs.DocumentAPI }

func (hangingAPI) DescribeDocument(ctx context.Context, _ *ssm.DescribeDocumentInput, _ ...func(*ssm.Options)) (*ssm.DescribeDocumentOutput, error) {
	<-make(chan struct{}) // ignores ctx, like a stuck connection without a deadline
	return nil, ctx.Err()
}

func TestPhysicalIDRoundTrip(t *testing.T) {
	for _, p := range []ssmprefs.Prior{{Existed: false}, {Existed: true, DefaultVersion: "7"}} {
		got, ok := writerlambda.DecodePhysicalID(writerlambda.EncodePhysicalID(p))
		if !ok || got != p {
			t.Errorf("round trip of %+v gave %+v, %v", p, got, ok)
		}
	}
	if _, ok := writerlambda.DecodePhysicalID("ssm-runas:failed-create:req"); ok {
		t.Error("a failed-create id must hold no restore point")
	}
}
