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
	if err != nil {
		t.Fatal(err)
	}
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

func client(t *testing.T, r *replay, s *sleeps) *graph.Client {
	c, err := graph.New(r.URL+"/v1.0", graph.StaticToken("test-token"), graph.Options{Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChooseTemplate(t *testing.T) {
	var page struct{ Value []graph.SyncTemplate }
	json.Unmarshal(readTestdata(t, "templates.json"), &page)
	got, err := graph.ChooseTemplate(page.Value, nil, "aWSSingleSignon")
	if err != nil || got.ID != "aWSSingleSignon" || !got.LookedUp {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	got, err = graph.ChooseTemplate(nil, errors.New("HTTP 403"), "aWSSingleSignon")
	if err != nil || got.LookedUp || !strings.Contains(got.Note, "using the constant aWSSingleSignon") {
		t.Fatalf("fallback must say so: %+v %v", got, err)
	}
	if _, err := graph.ChooseTemplate([]graph.SyncTemplate{{ID: "aws", FactoryTag: "aws"}}, nil, "aWSSingleSignon"); err == nil {
		t.Fatal("the legacy application's template must not be taken")
	}
}

func TestMapAttribute(t *testing.T) {
	schema := readTestdata(t, "schema.json")
	t.Run("added", func(t *testing.T) {
		out, changes, err := graph.MapAttribute(schema, "extensionAttribute1", target)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Action != "added" || changes[0].ObjectMapping != "Provision Microsoft Entra ID Users" {
			t.Fatalf("changes %+v", changes)
		}
		golden.JSON(t, "schema.json", out)
		again, changes, err := graph.MapAttribute(out, "extensionAttribute1", target)
		if err != nil || changes[0].Action != "unchanged" || !jsonEqual(t, again, out) {
			t.Fatalf("a second run must change nothing: %+v %v", changes, err)
		}
	})
	t.Run("updated keeps everything else", func(t *testing.T) {
		out, changes, err := graph.MapAttribute(schema, "extensionAttribute1",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
		if err != nil {
			t.Fatal(err)
		}
		if changes[0].Action != "updated" || changes[0].Before != "[employeeId]" {
			t.Fatalf("changes %+v", changes)
		}
		// Only the one source differs from what was read: put it back and
		// the documents must be equal.
		var doc map[string]any
		json.Unmarshal(out, &doc)
		rule := doc["synchronizationRules"].([]any)[0].(map[string]any)
		users := rule["objectMappings"].([]any)[0].(map[string]any)
		for _, a := range users["attributeMappings"].([]any) {
			am := a.(map[string]any)
			if strings.HasSuffix(am["targetAttributeName"].(string), ":employeeNumber") {
				am["source"] = map[string]any{"expression": "[employeeId]", "name": "employeeId", "parameters": []any{}, "type": "Attribute"}
			}
		}
		restored, _ := json.Marshal(doc)
		if !jsonEqual(t, restored, schema) {
			t.Fatalf("fields other than the mapping changed:\n%s", out)
		}
	})
	t.Run("undefined target", func(t *testing.T) {
		if _, _, err := graph.MapAttribute(schema, "extensionAttribute1", "urn:x:notThere"); err == nil ||
			!strings.Contains(err.Error(), "defines urn:x:notThere") {
			t.Fatalf("got %v", err)
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		t.Fatal("not JSON")
	}
	x, _ := json.Marshal(va)
	y, _ := json.Marshal(vb)
	return string(x) == string(y)
}

func TestSynchronizationCalls(t *testing.T) {
	r := newReplay(t)
	s := &sleeps{}
	c := client(t, r, s)
	ctx := context.Background()
	jobPath := "/servicePrincipals/" + spID + "/synchronization/jobs/aWSSingleSignon.0f3a9c1e2b4d4e6f8a0b1c2d3e4f5a6b.61318f71-9c58-4f75-b8af-329e649fcd80"
	r.on("GET", "/servicePrincipals/"+spID+"/synchronization/templates", ok(readTestdata(t, "templates.json")))
	r.on("GET", "/servicePrincipals/"+spID+"/synchronization/jobs", ok(readTestdata(t, "jobs.json")))
	r.on("GET", jobPath+"/schema", ok(readTestdata(t, "schema.json")))
	r.on("PUT", jobPath+"/schema", answer{status: 204})
	r.on("POST", jobPath+"/start", answer{status: 204})

	templates, err := c.SyncTemplates(ctx, spID)
	if err != nil || len(templates) != 1 || templates[0].FactoryTag != "aWSSingleSignon" {
		t.Fatalf("templates %+v %v", templates, err)
	}
	jobs, err := c.SyncJobs(ctx, spID)
	if err != nil || len(jobs) != 1 || jobs[0].TemplateID != "aWSSingleSignon" {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
	schema, err := c.GetSchema(ctx, spID, jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	updated, _, err := graph.MapAttribute(schema, "extensionAttribute1", target)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutSchema(ctx, spID, jobs[0].ID, updated); err != nil {
		t.Fatal(err)
	}
	if err := c.StartJob(ctx, spID, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	put := r.calls[3]
	if put.Method != "PUT" || put.Header.Get("Authorization") != "Bearer test-token" || !jsonEqual(t, []byte(put.Body), updated) {
		t.Fatalf("PUT schema: %+v", put)
	}
}

func TestPagingThrottlingAndPatch(t *testing.T) {
	r := newReplay(t)
	s := &sleeps{}
	c := client(t, r, s)
	ctx := context.Background()
	r.on("GET", "/groups/g-dev/transitiveMembers/microsoft.graph.user",
		answer{status: 429, header: map[string]string{"Retry-After": "7"}, body: readTestdata(t, "throttled.json")},
		ok(readTestdata(t, "users_page1.json")),
		ok(readTestdata(t, "users_page2.json")))
	r.on("PATCH", "/users/u-bob", answer{status: 204})

	users, err := c.GroupUsers(ctx, "g-dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || users[0].OnPremisesExtensionAttributes["extensionAttribute1"] != "developer" || !users[2].Synced() || users[1].Synced() {
		t.Fatalf("users %+v", users)
	}
	if len(s.d) != 1 || s.d[0] != 7*time.Second {
		t.Fatalf("the 429 must be retried after Retry-After (7s), slept %v", s.d)
	}
	if !strings.Contains(r.calls[2].Query, "skiptoken=RFNwdAIAAQAAAB") {
		t.Fatalf("the second page must follow @odata.nextLink: %+v", r.calls[2])
	}

	if err := c.SetExtensionAttribute(ctx, "u-bob", "extensionAttribute1", "developer"); err != nil {
		t.Fatal(err)
	}
	patch := r.calls[len(r.calls)-1]
	if patch.Method != "PATCH" || patch.Body != `{"onPremisesExtensionAttributes":{"extensionAttribute1":"developer"}}` ||
		patch.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("PATCH: %+v", patch)
	}
}

func TestErrors(t *testing.T) {
	r := newReplay(t)
	s := &sleeps{}
	c := client(t, r, s)
	ctx := context.Background()

	r.on("GET", "/groups", answer{status: 403, body: readTestdata(t, "forbidden.json")})
	_, err := c.GroupByName(ctx, "SG-AWS-SSM-Admin")
	if !graph.IsStatus(err, 403) || !strings.Contains(err.Error(), "Insufficient privileges") || len(s.d) != 0 {
		t.Fatalf("a 403 is not retried and names the reason: %v (slept %v)", err, s.d)
	}

	throttled := answer{status: 429, header: map[string]string{"Retry-After": "1"}, body: readTestdata(t, "throttled.json")}
	r.on("GET", "/users", throttled)
	_, err = c.UsersWithAttribute(ctx, "extensionAttribute1")
	if !graph.IsStatus(err, 429) || !strings.Contains(err.Error(), "after 6 attempts") || len(s.d) != 5 {
		t.Fatalf("throttling without end gives up after 6 attempts: %v (slept %v)", err, s.d)
	}
	if h := r.calls[len(r.calls)-1].Header.Get("ConsistencyLevel"); h != "eventual" {
		t.Fatalf("the advanced query needs ConsistencyLevel: eventual, got %q", h)
	}

	r.on("GET", "/groups/g-evil/transitiveMembers/microsoft.graph.user",
		ok([]byte(`{"value":[],"@odata.nextLink":"https://evil.example/steal"}`)))
	if _, err := c.GroupUsers(ctx, "g-evil"); err == nil || !strings.Contains(err.Error(), "refusing to follow") {
		t.Fatalf("a nextLink to another host must not receive the token: %v", err)
	}
}
