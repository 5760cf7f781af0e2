package writerlambda_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/writerlambda"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
)

const (
	region = "eu-west-1"
	// stackID is the stack of the tests that do not create one on moto.
	stackID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/StackSet-ssm-runas-1a2b/0f0e0d0c-1111-2222-3333-444455556666"
	// functionARN is the writer that stack creates.
	functionARN = "arn:aws:lambda:eu-west-1:123456789012:function:ssm-runas-prefs-writer"
)

// console is what the account holds before the writer runs: preferences
// saved in the console, with S3 logging and Run As off.
const console = `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"s3BucketName":"team-bucket","runAsEnabled":false,"runAsDefaultUser":""}}`

// responseURL is shaped like the presigned URLs CloudFormation sends: its
// response bucket for the region, on the regional S3 endpoint.
func responseURL(stack, requestID string) string {
	key := url.PathEscape(stack + "|" + writerprops.LogicalID + "|" + requestID)
	return "https://" + writerlambda.ResponseBucket(region) + ".s3." + region + ".amazonaws.com/" + key +
		"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261121T120000Z&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Signature=0f1e"
}

// cloudFormation stands where CloudFormation's response bucket is: it
// records what the handler PUTs to the response URL and, when moto is set,
// hands the answer on to moto's custom resource endpoint, where moto
// completes the stack operation that waits on it. The handler's HTTP
// client reaches nothing else.
type cloudFormation struct {
	t            *testing.T
	moto         string
	mu           sync.Mutex
	responses    []writerlambda.Response
	contentTypes []string
}

func newCloudFormation(t *testing.T, moto string) *cloudFormation {
	return &cloudFormation{t: t, moto: moto}
}

func (cf *cloudFormation) client() *http.Client { return &http.Client{Transport: cf} }

func (cf *cloudFormation) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodPut || r.URL.Scheme != "https" || !strings.HasPrefix(r.URL.Host, writerlambda.ResponseBucket(region)+".") {
		assert.Failf(cf.t, "unexpected request", "the handler sent %s %s: only a PUT to CloudFormation's response bucket is expected", r.Method, r.URL.Redacted())
	}
	var resp writerlambda.Response
	if err := json.Unmarshal(body, &resp); err != nil {
		assert.Failf(cf.t, "response is not JSON", "%s", body)
	}
	cf.mu.Lock()
	cf.responses = append(cf.responses, resp)
	cf.contentTypes = append(cf.contentTypes, r.Header.Get("Content-Type"))
	cf.mu.Unlock()
	if cf.moto == "" {
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	fwd, err := http.NewRequestWithContext(r.Context(), http.MethodPut,
		cf.moto+"/cloudformation_"+region+"/cfnresponse?stack="+url.QueryEscape(resp.StackID), strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	// moto routes its custom resource endpoint by the CloudFormation host name.
	fwd.Host = "cloudformation." + region + ".amazonaws.com"
	return http.DefaultTransport.RoundTrip(fwd)
}

func (cf *cloudFormation) count() int {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return len(cf.responses)
}

func (cf *cloudFormation) last(t *testing.T) writerlambda.Response {
	t.Helper()
	cf.mu.Lock()
	defer cf.mu.Unlock()
	require.NotEmpty(t, cf.responses, "no response reached the response URL")
	assert.Empty(t, cf.contentTypes[len(cf.contentTypes)-1], "the presigned URL is signed without a Content-Type")
	return cf.responses[len(cf.responses)-1]
}

// record answers DescribeStackResource as CloudFormation does while an
// operation waits on the writer. moto sends custom resources only Create
// requests and records a physical id of its own rather than the writer's
// answer, so the middle of an Update or a Delete cannot be produced there;
// the Create path and every refusal are tested against moto itself.
type record struct {
	stack      string
	status     cfntypes.ResourceStatus
	physicalID string
}

func (r *record) DescribeStackResource(_ context.Context, in *cloudformation.DescribeStackResourceInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error) {
	if aws.ToString(in.StackName) != r.stack {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + aws.ToString(in.StackName) + " does not exist"}
	}
	if aws.ToString(in.LogicalResourceId) != writerprops.LogicalID {
		return nil, &smithy.GenericAPIError{Code: "ValidationError",
			Message: "Resource " + aws.ToString(in.LogicalResourceId) + " does not exist for stack " + r.stack}
	}
	return &cloudformation.DescribeStackResourceOutput{StackResourceDetail: &cfntypes.StackResourceDetail{
		StackId: aws.String(r.stack), StackName: aws.String("StackSet-ssm-runas-1a2b"),
		LogicalResourceId: aws.String(writerprops.LogicalID), PhysicalResourceId: aws.String(r.physicalID),
		ResourceType: aws.String(writerprops.ResourceType), ResourceStatus: r.status,
		LastUpdatedTimestamp: aws.Time(time.Now()),
	}}, nil
}

func mustSelf(t *testing.T, stack string) writerlambda.Self {
	t.Helper()
	s, err := writerlambda.ParseSelf(stack)
	require.NoError(t, err)
	return s
}

// event is a request as CloudFormation sends it for stack.
func event(t *testing.T, stack, requestType, physicalID, user string) writerlambda.Event {
	t.Helper()
	p := writerprops.New(functionARN, "300", &sessiondoc.Preferences{RunAsDefaultUser: user})
	props, err := json.Marshal(p)
	require.NoError(t, err)
	id := "req-" + requestType
	return writerlambda.Event{
		RequestType: requestType, ServiceToken: functionARN, ResponseURL: responseURL(stack, id),
		StackID: stack, RequestID: id,
		ResourceType: writerprops.ResourceType, LogicalResourceID: writerprops.LogicalID,
		PhysicalResourceID: physicalID, ResourceProperties: props,
	}
}

func seedConsole(t *testing.T, api *ssm.Client) {
	t.Helper()
	_, err := api.CreateDocument(context.Background(), &ssm.CreateDocumentInput{Name: aws.String(sessiondoc.DocumentName),
		Content: aws.String(console), DocumentType: types.DocumentTypeSession, DocumentFormat: types.DocumentFormatJson})
	require.NoError(t, err)
}

func read(t *testing.T, api ssmprefs.DocumentAPI) ssmprefs.State {
	t.Helper()
	st, err := ssmprefs.Read(context.Background(), api, sessiondoc.DocumentName)
	require.NoError(t, err)
	return st
}

func TestLifecycle(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	api := ssm.NewFromConfig(srv.Config(region))
	cf := newCloudFormation(t, "")
	rec := &record{stack: stackID, status: cfntypes.ResourceStatusCreateInProgress}
	h := &writerlambda.Handler{API: api, Stack: rec, Self: mustSelf(t, stackID), HTTP: cf.client()}
	seedConsole(t, api)

	require.NoError(t, h.Handle(ctx, event(t, stackID, "Create", "", "ssm-fallback")))
	created := cf.last(t)
	assert.Equal(t, "SUCCESS", created.Status, created.Reason)
	assert.Equal(t, "ssm-runas:SSM-SessionManagerRunShell:prior=1", created.PhysicalResourceID)
	assert.Equal(t, "2", created.Data[writerprops.DataDefaultVersion])
	assert.Equal(t, "req-Create", created.RequestID)
	assert.Equal(t, stackID, created.StackID)

	rec.status, rec.physicalID = cfntypes.ResourceStatusUpdateInProgress, created.PhysicalResourceID
	require.NoError(t, h.Handle(ctx, event(t, stackID, "Update", created.PhysicalResourceID, "ops")))
	updated := cf.last(t)
	assert.Equal(t, "SUCCESS", updated.Status, updated.Reason)
	assert.Equal(t, created.PhysicalResourceID, updated.PhysicalResourceID, "an update must keep the restore point")
	assert.Equal(t, "3", updated.Data[writerprops.DataDefaultVersion])

	rec.status = cfntypes.ResourceStatusDeleteInProgress
	require.NoError(t, h.Handle(ctx, event(t, stackID, "Delete", created.PhysicalResourceID, "ops")))
	deleted := cf.last(t)
	assert.Equal(t, "SUCCESS", deleted.Status, deleted.Reason)
	st := read(t, api)
	assert.Equal(t, "1", st.DefaultVersion, "delete must restore the console document")
	want, err := sessiondoc.Parse([]byte(console))
	require.NoError(t, err)
	assert.True(t, st.Current.Default.Equal(want), "restored content: %+v", st.Current.Default)
}

func TestFailuresAreReported(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	cf := newCloudFormation(t, "")
	creating := func() *record { return &record{stack: stackID, status: cfntypes.ResourceStatusCreateInProgress} }

	t.Run("failing AWS call", func(t *testing.T) {
		// An SSM endpoint that refuses every call with AccessDenied, as an
		// SCP or a missing permission would.
		deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"AccessDeniedException","message":"explicit deny in a service control policy"}`)
		}))
		defer deny.Close()
		cfg := srv.Config(region)
		cfg.BaseEndpoint = aws.String(deny.URL)
		h := &writerlambda.Handler{API: ssm.NewFromConfig(cfg), Stack: creating(), Self: mustSelf(t, stackID), HTTP: cf.client()}
		require.NoError(t, h.Handle(ctx, event(t, stackID, "Create", "", "ssm-fallback")))
		resp := cf.last(t)
		assert.Equal(t, "FAILED", resp.Status)
		assert.Contains(t, resp.Reason, "explicit deny")
		assert.True(t, strings.HasPrefix(resp.PhysicalResourceID, "ssm-runas:failed-create:"), resp.PhysicalResourceID)

		// The rollback Delete of that failed Create must succeed and touch nothing.
		api := ssm.NewFromConfig(srv.Config(region))
		h = &writerlambda.Handler{API: api, Stack: &record{stack: stackID, status: cfntypes.ResourceStatusDeleteInProgress,
			physicalID: resp.PhysicalResourceID}, Self: mustSelf(t, stackID), HTTP: cf.client()}
		require.NoError(t, h.Handle(ctx, event(t, stackID, "Delete", resp.PhysicalResourceID, "ssm-fallback")))
		assert.Equal(t, "SUCCESS", cf.last(t).Status, "rollback delete")
		assert.False(t, read(t, api).Exists)
	})

	t.Run("invalid preferences", func(t *testing.T) {
		srv.Reset(t)
		api := ssm.NewFromConfig(srv.Config(region))
		h := &writerlambda.Handler{API: api, Stack: creating(), Self: mustSelf(t, stackID), HTTP: cf.client()}
		require.NoError(t, h.Handle(ctx, event(t, stackID, "Create", "", "root")))
		resp := cf.last(t)
		assert.Equal(t, "FAILED", resp.Status)
		assert.Contains(t, resp.Reason, `preferences.runAsDefaultUser "root"`)
		assert.False(t, read(t, api).Exists, "an invalid request wrote a document")
	})

	t.Run("about to time out", func(t *testing.T) {
		h := &writerlambda.Handler{API: hangingAPI{}, Stack: creating(), Self: mustSelf(t, stackID), HTTP: cf.client(),
			Margin: 200 * time.Millisecond}
		deadline, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		require.NoError(t, h.Handle(deadline, event(t, stackID, "Create", "", "ssm-fallback")))
		resp := cf.last(t)
		assert.Equal(t, "FAILED", resp.Status)
		assert.Contains(t, resp.Reason, "timed out")
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
		assert.True(t, ok)
		assert.Equal(t, p, got)
	}
	_, ok := writerlambda.DecodePhysicalID("ssm-runas:failed-create:req")
	assert.False(t, ok, "a failed-create id must hold no restore point")
}
