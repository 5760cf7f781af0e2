// Package fakegraph is a stateful stand-in for the few Microsoft Graph
// endpoints the role sync, the attribute mapping and the per-user audit's
// stale value check use. Graph has no
// emulator; this server answers in the documented shapes (collections with
// value and @odata.nextLink, error envelopes, 404 for unknown groups) and
// enforces the rules that matter: advanced queries need ConsistencyLevel
// eventual, users synced from AD cannot have their extension attributes
// written, groups nest, so /members lists direct members only while
// /transitiveMembers expands nested groups, users are read by object id or
// userPrincipalName (404 when neither matches), answers carry only the
// properties $select names, and a displayName filter is read as Graph
// reads it (quotes doubled inside the literal, case ignored, 400 for a
// literal it cannot parse), and a $select of an extension attribute slot as
// if it were a property is refused with 400, as Graph refuses it.
package fakegraph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is a directory user.
type User struct {
	ID, UPN string
	Synced  bool
	Ext     map[string]string
	// SamAccountName and MailNickname are the profile attributes of the
	// per-user models; "" is answered as null.
	SamAccountName, MailNickname string
}

// Server is the fake.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	users   map[string]*User
	groups  map[string][]string // display name -> member user ids
	nested  map[string][]string // display name -> member group names
	Patches int
	// PageSize bounds each page, so paging is exercised.
	PageSize int
	// Throttle answers this many requests with 429 first.
	Throttle int
	// RetryAfter is the Retry-After header of those 429s, default "0".
	RetryAfter string
	// Delay holds every answer back this long (or until the client goes),
	// as a slow or hanging Graph would.
	Delay time.Duration

	// Synchronization state of one service principal.
	spID, spName       string
	templates, jobs    []byte
	schema             []byte
	SchemaPuts, Starts int
	// TemplatesForbidden answers the templates list with 403, as Graph does
	// for an identity without Application.Read.All.
	TemplatesForbidden bool
}

// SetSynchronization gives the service principal spID (named name) the
// templates and jobs collections and the schema, as Graph returns them.
func (s *Server) SetSynchronization(spID, name string, templates, jobs, schema []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spID, s.spName, s.templates, s.jobs, s.schema = spID, name, templates, jobs, schema
}

// Schema returns the current synchronization schema.
func (s *Server) Schema() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}

// New starts a server on loopback; it stops with the test.
func New(t testing.TB) *Server {
	s := &Server{users: map[string]*User{}, groups: map[string][]string{}, nested: map[string][]string{}, PageSize: 2}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL of the v1.0 endpoint.
func (s *Server) BaseURL() string { return s.URL + "/v1.0" }

// AddUser adds a user; ext values may be empty.
func (s *Server) AddUser(id, upn string, synced bool, ext1 string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: id, UPN: upn, Synced: synced, Ext: map[string]string{}}
	if ext1 != "" {
		u.Ext["extensionAttribute1"] = ext1
	}
	s.users[id] = u
}

// SetAttribute sets (or, with "", clears) one attribute of a user:
// onPremisesSamAccountName, mailNickname or extensionAttribute1-15, as a
// directory sync would.
func (s *Server) SetAttribute(id, attr, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	switch attr {
	case "onPremisesSamAccountName":
		u.SamAccountName = value
	case "mailNickname":
		u.MailNickname = value
	default:
		u.Ext[attr] = value
	}
}

// SetGroup sets a group's members.
func (s *Server) SetGroup(name string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[name] = ids
}

// NestGroup makes the group child a member of the group parent; both are
// created when missing.
func (s *Server) NestGroup(parent, child string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range []string{parent, child} {
		if _, ok := s.groups[g]; !ok {
			s.groups[g] = nil
		}
	}
	s.nested[parent] = append(s.nested[parent], child)
}

// transitive returns the user ids in a group and every group nested in it.
func (s *Server) transitive(name string, seen map[string]bool) []string {
	if seen[name] {
		return nil
	}
	seen[name] = true
	ids := append([]string(nil), s.groups[name]...)
	for _, child := range s.nested[name] {
		ids = append(ids, s.transitive(child, seen)...)
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// Attribute returns a user's extensionAttribute1.
func (s *Server) Attribute(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id].Ext["extensionAttribute1"]
}

var (
	// groupFilter matches displayName eq 'NAME', NAME an OData string
	// literal's body (quotes doubled).
	groupFilter = regexp.MustCompile(`^displayName eq '((?:[^']|'')*)'$`)
	membersPath = regexp.MustCompile(`^/v1\.0/groups/([^/]+)/(members|transitiveMembers)/microsoft\.graph\.user$`)
	extFilter   = regexp.MustCompile(`^onPremisesExtensionAttributes/(extensionAttribute\d+) ne null$`)
	// userByKey is /users/{id | userPrincipalName} or /users('{upn}').
	userByKey = regexp.MustCompile(`^/v1\.0/users(?:/([^/()]+)|\('((?:[^']|'')+)'\))$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay := s.Delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Throttle > 0 {
		s.Throttle--
		ra := s.RetryAfter
		if ra == "" {
			ra = "0"
		}
		w.Header().Set("Retry-After", ra)
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return
	}
	q := r.URL.Query()
	if bad := unknownSelect(q.Get("$select")); bad != "" {
		writeError(w, http.StatusBadRequest, "Request_BadRequest",
			fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.DirectoryServices.User'.", bad))
		return
	}
	sp := "/v1.0/servicePrincipals/" + s.spID + "/synchronization"
	switch {
	case r.Method == "GET" && r.URL.Path == "/v1.0/servicePrincipals":
		var out []any
		if m := groupFilter.FindStringSubmatch(q.Get("$filter")); m != nil && strings.EqualFold(odataUnquote(m[1]), s.spName) && s.spID != "" {
			out = append(out, map[string]any{"id": s.spID, "appId": "app-" + s.spID, "displayName": s.spName})
		}
		writeJSON(w, map[string]any{"value": out})
	case s.spID != "" && r.Method == "GET" && r.URL.Path == sp+"/templates":
		if s.TemplatesForbidden {
			writeError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.templates)
	case s.spID != "" && r.Method == "GET" && r.URL.Path == sp+"/jobs":
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.jobs)
	case s.spID != "" && strings.HasPrefix(r.URL.Path, sp+"/jobs/") && strings.HasSuffix(r.URL.Path, "/schema"):
		if r.Method == "PUT" {
			s.schema, _ = io.ReadAll(r.Body)
			s.SchemaPuts++
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.schema)
	case s.spID != "" && r.Method == "POST" && strings.HasPrefix(r.URL.Path, sp+"/jobs/") && strings.HasSuffix(r.URL.Path, "/start"):
		s.Starts++
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "GET" && r.URL.Path == "/v1.0/groups":
		m := groupFilter.FindStringSubmatch(q.Get("$filter"))
		if m == nil {
			// Graph's answer to a literal whose quotes are not doubled.
			writeError(w, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+q.Get("$filter"))
			return
		}
		var out []any
		for _, name := range s.groupsNamed(odataUnquote(m[1])) {
			out = append(out, map[string]any{"id": "g-" + name, "displayName": name})
		}
		writeJSON(w, map[string]any{"value": out})
	case r.Method == "GET" && membersPath.MatchString(r.URL.Path):
		m := membersPath.FindStringSubmatch(r.URL.Path)
		name := strings.TrimPrefix(m[1], "g-")
		ids, ok := s.groups[name]
		if !ok {
			writeError(w, http.StatusNotFound, "Request_ResourceNotFound",
				fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", m[1]))
			return
		}
		if m[2] == "transitiveMembers" {
			ids = s.transitive(name, map[string]bool{})
		}
		s.page(w, r, ids)
	case r.Method == "GET" && r.URL.Path == "/v1.0/users":
		m := extFilter.FindStringSubmatch(q.Get("$filter"))
		if m == nil {
			writeError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported query.")
			return
		}
		if r.Header.Get("ConsistencyLevel") != "eventual" || q.Get("$count") != "true" {
			writeError(w, http.StatusBadRequest, "Request_UnsupportedQuery",
				"Unsupported or invalid query filter clause specified for property 'extensionAttribute1' of resource 'User'.")
			return
		}
		var ids []string
		for id, u := range s.users {
			if u.Ext[m[1]] != "" {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		s.page(w, r, ids)
	case r.Method == "GET" && userByKey.MatchString(r.URL.Path):
		m := userByKey.FindStringSubmatch(r.URL.Path)
		key := m[1]
		if key == "" {
			key = strings.ReplaceAll(m[2], "''", "'")
		}
		u := s.userByKey(key)
		if u == nil {
			writeError(w, http.StatusNotFound, "Request_ResourceNotFound",
				fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
			return
		}
		writeJSON(w, selected(userJSON(u), q.Get("$select")))
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/v1.0/users/"):
		u, ok := s.users[strings.TrimPrefix(r.URL.Path, "/v1.0/users/")]
		if !ok {
			writeError(w, http.StatusNotFound, "Request_ResourceNotFound", "Resource does not exist.")
			return
		}
		if u.Synced {
			writeError(w, http.StatusBadRequest, "Request_BadRequest",
				"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
			return
		}
		var body struct {
			Ext map[string]string `json:"onPremisesExtensionAttributes"`
		}
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &body); err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		for k, v := range body.Ext {
			u.Ext[k] = v
		}
		s.Patches++
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, "Request_ResourceNotFound", "no such endpoint in the fake: "+r.Method+" "+r.URL.Path)
	}
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, ids []string) {
	start, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(start+s.PageSize, len(ids))
	var value []any
	for _, id := range ids[start:end] {
		value = append(value, selected(userJSON(s.users[id]), r.URL.Query().Get("$select")))
	}
	out := map[string]any{"value": value}
	if end < len(ids) {
		next := *r.URL
		q := next.Query()
		q.Set("$skiptoken", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		out["@odata.nextLink"] = s.URL + next.String()
	}
	writeJSON(w, out)
}

// odataUnquote reads the body of an OData string literal: a quote inside
// it is written twice.
// https://learn.microsoft.com/en-us/graph/query-parameters#escaping-single-quotes
func odataUnquote(s string) string { return strings.ReplaceAll(s, "''", "'") }

// groupsNamed lists the groups whose display name is name, compared
// without regard to case as Graph's eq does on directory objects.
func (s *Server) groupsNamed(name string) []string {
	var out []string
	for g := range s.groups {
		if strings.EqualFold(g, name) {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// userByKey finds a user by object id or, as Graph does, by
// userPrincipalName in any case.
func (s *Server) userByKey(key string) *User {
	if u, ok := s.users[key]; ok {
		return u
	}
	for _, u := range s.users {
		if strings.EqualFold(u.UPN, key) {
			return u
		}
	}
	return nil
}

// userJSON is a user as Graph writes it, every property the fake keeps;
// empty values are null.
func userJSON(u *User) map[string]any {
	orNull := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	ext := map[string]any{}
	for i := 1; i <= 15; i++ {
		k := fmt.Sprintf("extensionAttribute%d", i)
		ext[k] = orNull(u.Ext[k])
	}
	var synced any
	if u.Synced {
		synced = true
	}
	return map[string]any{"id": u.ID, "userPrincipalName": u.UPN, "onPremisesSyncEnabled": synced,
		"onPremisesExtensionAttributes": ext, "onPremisesSamAccountName": orNull(u.SamAccountName),
		"mailNickname": orNull(u.MailNickname)}
}

// slotProperty is an onPremisesExtensionAttributes slot named as if it
// were a property of the user.
var slotProperty = regexp.MustCompile(`^extensionAttribute\d+$`)

// unknownSelect returns the first property of a $select that Graph has no
// such property for, as it answers 400: the extension attribute slots are
// inside onPremisesExtensionAttributes, not properties of their own.
func unknownSelect(sel string) string {
	for _, p := range strings.Split(sel, ",") {
		if p = strings.TrimSpace(p); slotProperty.MatchString(p) {
			return p
		}
	}
	return ""
}

// selected keeps the properties $select names, as Graph returns only
// those; without $select it keeps them all.
func selected(user map[string]any, sel string) map[string]any {
	if sel == "" {
		return user
	}
	out := map[string]any{}
	for _, p := range strings.Split(sel, ",") {
		if v, ok := user[strings.TrimSpace(p)]; ok {
			out[strings.TrimSpace(p)] = v
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
