package graph_test

// Microsoft Graph has no emulator. These tests replay the documented
// response shapes kept in testdata/ from an httptest server.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

const (
	spID   = "5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b"
	target = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

type call struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

// replay serves canned answers by "METHOD path" and records every call.
type replay struct {
	*httptest.Server
	mu      sync.Mutex
	calls   []call
	answers map[string][]answer
}

type answer struct {
	status int
	header map[string]string
	body   []byte
}

func newReplay(t *testing.T) *replay {
	r := &replay{answers: map[string][]answer{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		key := req.Method + " " + req.URL.Path
		r.mu.Lock()
		r.calls = append(r.calls, call{req.Method, req.URL.Path, req.URL.RawQuery, string(body), req.Header.Clone()})
		queue := r.answers[key]
		if len(queue) == 0 {
			r.mu.Unlock()
			t.Errorf("unexpected call %s", key)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		a := queue[0]
		if len(queue) > 1 {
			r.answers[key] = queue[1:]
		}
		r.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		w.Write([]byte(strings.ReplaceAll(string(a.body), "{{BASE}}", r.URL+"/v1.0")))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *replay) on(method, path string, answers ...answer) {
	r.answers[method+" /v1.0"+path] = answers
}

func ok(body []byte) answer { return answer{status: 200, body: body} }

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return nil
}

func client(t *testing.T, r *replay, opts graph.Options) *graph.Client {
	c, err := graph.New(r.URL+"/v1.0", graph.StaticToken("test-token"), opts)
	require.NoError(t, err)
	return c
}

func TestChooseTemplate(t *testing.T) {
	var page struct{ Value []graph.SyncTemplate }
	require.NoError(t, json.Unmarshal(readTestdata(t, "templates.json"), &page))

	got, err := graph.ChooseTemplate(page.Value, nil, "aWSSingleSignon")
	require.NoError(t, err)
	assert.Equal(t, "aWSSingleSignon", got.ID)
	assert.True(t, got.LookedUp)

	got, err = graph.ChooseTemplate(nil, errors.New("HTTP 403"), "aWSSingleSignon")
	require.NoError(t, err)
	assert.False(t, got.LookedUp)
	assert.Contains(t, got.Note, "using the constant aWSSingleSignon", "the fallback must say so")

	_, err = graph.ChooseTemplate([]graph.SyncTemplate{{ID: "aws", FactoryTag: "aws"}}, nil, "aWSSingleSignon")
	assert.Error(t, err, "the legacy application's template must not be taken")
}

func TestMapAttribute(t *testing.T) {
	schema := readTestdata(t, "schema.json")
	ext1 := graph.AttributeSource("extensionAttribute1")
	t.Run("added", func(t *testing.T) {
		out, changes, err := graph.MapAttribute(schema, ext1, target)
		require.NoError(t, err)
		require.Len(t, changes, 1)
		assert.Equal(t, "added", changes[0].Action)
		assert.Equal(t, "Provision Microsoft Entra ID Users", changes[0].ObjectMapping)
		golden.JSON(t, "schema.json", out)

		again, changes, err := graph.MapAttribute(out, ext1, target)
		require.NoError(t, err)
		assert.Equal(t, "unchanged", changes[0].Action, "a second run must change nothing")
		assert.JSONEq(t, string(out), string(again))
	})
	t.Run("updated keeps everything else", func(t *testing.T) {
		out, changes, err := graph.MapAttribute(schema, ext1,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
		require.NoError(t, err)
		assert.Equal(t, "updated", changes[0].Action)
		assert.Equal(t, "[employeeId]", changes[0].Before)
		// Only the one source differs from what was read: put it back and
		// the documents must be equal.
		var doc map[string]any
		require.NoError(t, json.Unmarshal(out, &doc))
		rule := doc["synchronizationRules"].([]any)[0].(map[string]any)
		users := rule["objectMappings"].([]any)[0].(map[string]any)
		for _, a := range users["attributeMappings"].([]any) {
			am := a.(map[string]any)
			if strings.HasSuffix(am["targetAttributeName"].(string), ":employeeNumber") {
				am["source"] = map[string]any{"expression": "[employeeId]", "name": "employeeId", "parameters": []any{}, "type": "Attribute"}
			}
		}
		restored, err := json.Marshal(doc)
		require.NoError(t, err)
		assert.JSONEq(t, string(schema), string(restored), "fields other than the mapping changed")
	})
	t.Run("lowercase expression added", func(t *testing.T) {
		lower := graph.ToLowerSource("onPremisesSamAccountName")
		assert.Equal(t, "ToLower([onPremisesSamAccountName], )", lower.Expression)
		out, changes, err := graph.MapAttribute(schema, lower, target)
		require.NoError(t, err)
		require.Len(t, changes, 1)
		assert.Equal(t, "added", changes[0].Action)
		assert.Equal(t, "ToLower([onPremisesSamAccountName], )", changes[0].After)
		golden.JSON(t, "schema.json", out)
	})
	t.Run("lowercase expression as Graph returns it is unchanged", func(t *testing.T) {
		mapped := readTestdata(t, "schema_lowercase_mapped.json")
		out, changes, err := graph.MapAttribute(mapped, graph.ToLowerSource("onPremisesSamAccountName"), target)
		require.NoError(t, err)
		assert.Equal(t, "unchanged", changes[0].Action)
		assert.JSONEq(t, string(mapped), string(out))
	})
	t.Run("direct replaces the expression", func(t *testing.T) {
		mapped := readTestdata(t, "schema_lowercase_mapped.json")
		out, changes, err := graph.MapAttribute(mapped, graph.AttributeSource("onPremisesSamAccountName"), target)
		require.NoError(t, err)
		assert.Equal(t, "updated", changes[0].Action)
		assert.Equal(t, "ToLower([onPremisesSamAccountName], )", changes[0].Before)
		assert.Contains(t, string(out), `"expression": "[onPremisesSamAccountName]"`)
		assert.NotContains(t, string(out), `ToLower`)
	})
	t.Run("undefined target", func(t *testing.T) {
		_, _, err := graph.MapAttribute(schema, ext1, "urn:x:notThere")
		assert.ErrorContains(t, err, "defines urn:x:notThere")
	})
	t.Run("empty source", func(t *testing.T) {
		_, _, err := graph.MapAttribute(schema, graph.MappingSource{}, target)
		assert.ErrorContains(t, err, "expression and type are required")
	})
}

func TestSynchronizationCalls(t *testing.T) {
	r := newReplay(t)
	c := client(t, r, graph.Options{Sleep: (&sleeps{}).sleep})
	ctx := context.Background()
	jobPath := "/servicePrincipals/" + spID + "/synchronization/jobs/aWSSingleSignon.0f3a9c1e2b4d4e6f8a0b1c2d3e4f5a6b.61318f71-9c58-4f75-b8af-329e649fcd80"
	r.on("GET", "/servicePrincipals/"+spID+"/synchronization/templates", ok(readTestdata(t, "templates.json")))
	r.on("GET", "/servicePrincipals/"+spID+"/synchronization/jobs", ok(readTestdata(t, "jobs.json")))
	r.on("GET", jobPath+"/schema", ok(readTestdata(t, "schema.json")))
	r.on("PUT", jobPath+"/schema", answer{status: 204})
	r.on("POST", jobPath+"/start", answer{status: 204})

	templates, err := c.SyncTemplates(ctx, spID)
	require.NoError(t, err)
	require.Len(t, templates, 1)
	assert.Equal(t, "aWSSingleSignon", templates[0].FactoryTag)

	jobs, err := c.SyncJobs(ctx, spID)
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.Equal(t, "aWSSingleSignon", jobs[0].TemplateID)

	schema, err := c.GetSchema(ctx, spID, jobs[0].ID)
	require.NoError(t, err)
	updated, _, err := graph.MapAttribute(schema, graph.AttributeSource("extensionAttribute1"), target)
	require.NoError(t, err)
	require.NoError(t, c.PutSchema(ctx, spID, jobs[0].ID, updated))
	require.NoError(t, c.StartJob(ctx, spID, jobs[0].ID))

	put := r.calls[3]
	assert.Equal(t, "PUT", put.Method)
	assert.Equal(t, "Bearer test-token", put.Header.Get("Authorization"))
	assert.JSONEq(t, string(updated), put.Body)
}

func TestPagingThrottlingAndPatch(t *testing.T) {
	r := newReplay(t)
	s := &sleeps{}
	c := client(t, r, graph.Options{Sleep: s.sleep})
	ctx := context.Background()
	r.on("GET", "/groups/g-dev/members/microsoft.graph.user",
		answer{status: 429, header: map[string]string{"Retry-After": "7"}, body: readTestdata(t, "throttled.json")},
		ok(readTestdata(t, "users_page1.json")),
		ok(readTestdata(t, "users_page2.json")))
	r.on("PATCH", "/users/u-bob", answer{status: 204})

	users, err := c.GroupMemberUsers(ctx, "g-dev")
	require.NoError(t, err)
	require.Len(t, users, 3)
	assert.Equal(t, "developer", users[0].OnPremisesExtensionAttributes["extensionAttribute1"])
	assert.False(t, users[1].Synced())
	assert.True(t, users[2].Synced())
	assert.Equal(t, []time.Duration{7 * time.Second}, s.d, "the 429 must be retried after Retry-After (7s)")
	assert.Contains(t, r.calls[2].Query, "skiptoken=RFNwdAIAAQAAAB", "the second page must follow @odata.nextLink")

	require.NoError(t, c.SetExtensionAttribute(ctx, "u-bob", "extensionAttribute1", "developer"))
	patch := r.calls[len(r.calls)-1]
	assert.Equal(t, "PATCH", patch.Method)
	assert.JSONEq(t, `{"onPremisesExtensionAttributes":{"extensionAttribute1":"developer"}}`, patch.Body)
	assert.Equal(t, "application/json", patch.Header.Get("Content-Type"))
}

func TestErrors(t *testing.T) {
	r := newReplay(t)
	s := &sleeps{}
	c := client(t, r, graph.Options{Sleep: s.sleep})
	ctx := context.Background()

	r.on("GET", "/groups", answer{status: 403, body: readTestdata(t, "forbidden.json")})
	_, err := c.GroupByName(ctx, "SG-AWS-SSM-Admin")
	assert.True(t, graph.IsStatus(err, 403), "%v", err)
	assert.ErrorContains(t, err, "Insufficient privileges")
	assert.Empty(t, s.d, "a 403 is not retried")

	r.on("GET", "/groups", ok([]byte(`{"value":[]}`)))
	_, err = c.GroupByName(ctx, "SG-Renamed")
	assert.ErrorIs(t, err, graph.ErrGroupNotFound, "no group by that name is a not-found callers can tell apart")
	assert.ErrorContains(t, err, `group "SG-Renamed"`)
	r.on("GET", "/groups", ok([]byte(`{"value":[{"id":"g-1","displayName":"SG"},{"id":"g-2","displayName":"SG"}]}`)))
	_, err = c.GroupByName(ctx, "SG")
	assert.NotErrorIs(t, err, graph.ErrGroupNotFound, "two groups of one name is ambiguous, not missing")
	assert.ErrorContains(t, err, "2 groups have that display name")

	throttled := answer{status: 429, header: map[string]string{"Retry-After": "1"}, body: readTestdata(t, "throttled.json")}
	r.on("GET", "/users", throttled)
	_, err = c.UsersWithAttribute(ctx, "extensionAttribute1")
	assert.True(t, graph.IsStatus(err, 429), "%v", err)
	assert.ErrorContains(t, err, "after 6 attempts")
	assert.Len(t, s.d, 5, "throttling without end gives up after 6 attempts")
	assert.Equal(t, "eventual", r.calls[len(r.calls)-1].Header.Get("ConsistencyLevel"), "the advanced query needs ConsistencyLevel: eventual")

	r.on("GET", "/groups/g-evil/members/microsoft.graph.user",
		ok([]byte(`{"value":[],"@odata.nextLink":"https://evil.example/steal"}`)))
	_, err = c.GroupMemberUsers(ctx, "g-evil")
	assert.ErrorContains(t, err, "refusing to follow", "a nextLink to another host must not receive the token")
}

// TestRetryAfterBeyondTheCap runs the client with its real sleep against a
// Graph that asks for a 100000 s pause: the call must fail at once, saying
// what Graph asked for, instead of sleeping for a day.
func TestRetryAfterBeyondTheCap(t *testing.T) {
	r := newReplay(t)
	var waits []graph.Wait
	c := client(t, r, graph.Options{OnWait: func(w graph.Wait) { waits = append(waits, w) }})
	r.on("GET", "/groups", answer{status: 429, header: map[string]string{"Retry-After": "100000"}, body: readTestdata(t, "throttled.json")})

	start := time.Now()
	_, err := c.GroupByName(context.Background(), "SG-AWS-SSM-Admin")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.True(t, graph.IsStatus(err, 429), "%v", err)
	assert.ErrorContains(t, err, "Graph asks to wait 27h46m40s before retrying, more than the 1m0s this client waits: try again later")
	assert.Empty(t, waits, "nothing is waited for")
	assert.Len(t, r.calls, 1)
}

func TestRetryBudgetDeadlineAndOnWait(t *testing.T) {
	throttle := func(after string) answer {
		return answer{status: 429, header: map[string]string{"Retry-After": after}, body: readTestdata(t, "throttled.json")}
	}
	t.Run("budget", func(t *testing.T) {
		r := newReplay(t)
		s := &sleeps{}
		var waits []graph.Wait
		c := client(t, r, graph.Options{Sleep: s.sleep, OnWait: func(w graph.Wait) { waits = append(waits, w) }})
		r.on("GET", "/groups", throttle("50"))
		_, err := c.GroupByName(context.Background(), "SG")
		assert.ErrorContains(t, err, "giving up after 4 attempts: waiting 50s more would pass the retry budget of 3m0s")
		assert.Equal(t, []time.Duration{50 * time.Second, 50 * time.Second, 50 * time.Second}, s.d)
		require.Len(t, waits, 3)
		assert.Equal(t, "graph GET /v1.0/groups: HTTP 429 TooManyRequests; retrying in 50s (attempt 2 of 6)", waits[0].String())
		assert.Equal(t, 3, waits[2].Attempt)
	})
	t.Run("HTTP date", func(t *testing.T) {
		r := newReplay(t)
		s := &sleeps{}
		c := client(t, r, graph.Options{Sleep: s.sleep})
		r.on("GET", "/groups", throttle(time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat)),
			ok([]byte(`{"value":[{"id":"g-1","displayName":"SG"}]}`)))
		g, err := c.GroupByName(context.Background(), "SG")
		require.NoError(t, err)
		assert.Equal(t, "g-1", g.ID)
		assert.Equal(t, []time.Duration{0}, s.d, "a date in the past means retry now")
	})
	t.Run("deadline", func(t *testing.T) {
		r := newReplay(t)
		s := &sleeps{}
		c := client(t, r, graph.Options{Sleep: s.sleep})
		r.on("GET", "/groups", throttle("10"))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := c.GroupByName(ctx, "SG")
		assert.ErrorContains(t, err, "waiting 10s would pass the deadline")
		assert.Empty(t, s.d)
	})
	t.Run("unreachable", func(t *testing.T) {
		r := newReplay(t)
		url := r.URL
		r.Close()
		s := &sleeps{}
		var waits []graph.Wait
		c, err := graph.New(url+"/v1.0", graph.StaticToken("t"), graph.Options{Sleep: s.sleep, OnWait: func(w graph.Wait) { waits = append(waits, w) }})
		require.NoError(t, err)
		_, err = c.GroupByName(context.Background(), "SG")
		assert.ErrorContains(t, err, "after 6 attempts")
		require.NotEmpty(t, waits)
		assert.Contains(t, waits[0].Reason, "no answer: ")
		assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}, s.d)
	})
}
