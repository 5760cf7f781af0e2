package engine

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// World is the cloud the fake providers act on: one AWS organization with
// its IAM Identity Center instance, and one Entra ID tenant. It keeps what
// exists, refuses what the real services refuse (a second permission set
// with the same name, a second ABAC configuration, an assignment to a
// group SCIM has not provisioned, a bucket that still holds versions ...),
// and logs every change the providers make, in order.
type World struct {
	mu sync.Mutex

	// ManagementAccount is the organization's management account, where
	// the providers act unless they assume a role elsewhere.
	ManagementAccount string
	// OrganizationID is the organization's id (o-...).
	OrganizationID string
	// OUs maps each organizational unit to the accounts it holds.
	OUs map[string][]Account
	// IdentityStoreID is the Identity Center identity store (d-...).
	IdentityStoreID string

	// groups are the identity store's groups by display name (what SCIM
	// has provisioned).
	groups map[string]string
	// entraGroups are the tenant's security groups by display name.
	entraGroups map[string]string
	// clientIDs are the applications' client ids by object id.
	clientIDs map[string]string

	records map[recordKey]*record
	unique  map[string]resource.ID
	// buckets holds, per bucket, how many object versions it keeps.
	buckets map[string]*bucketState
	// memberStacks counts the StackSet stacks in each "account/region".
	memberStacks map[string]int
	// publicParameters are the public SSM parameters AWS publishes (the
	// current AMIs), by name; EC2 resolves "resolve:ssm:NAME" from them.
	publicParameters map[string]string

	log []Operation
	seq int
}

// Account is one member account.
type Account struct {
	ID, Name string
	// Status is what Organizations reports in the account's Status field.
	Status string
}

// Operation is one change a provider made.
type Operation struct {
	// Op is "create", "update" or "delete".
	Op string
	// Type is the resource type token.
	Type string
	// URN is the resource's URN in the stack.
	URN resource.URN
	// ID is the provider's id of the resource.
	ID resource.ID
	// Region is the region of the provider that made the change.
	Region string
	// Timeout is the operation's custom timeout in seconds (0: the
	// provider's default).
	Timeout float64
}

// recordKey names a resource. Ids are unique per type, account and region
// only: a permission set and its inline policy share
// "permissionSetArn,instanceArn", and an S3 object's id is its key, the
// same in every region's bucket.
type recordKey struct {
	typ             string
	account, region string
	id              resource.ID
}

type record struct {
	typ     string
	urn     resource.URN
	account string
	region  string
	inputs  resource.PropertyMap
	outputs resource.PropertyMap
	keys    []string
}

type bucketState struct {
	versioned bool
	objects   int
	versions  int
}

// NewWorld returns the organization the examples describe: management
// account 111111111111, two OUs with ACTIVE 12-digit accounts (one more OU
// to add later), an identity store SCIM has not provisioned yet, and an
// Entra tenant that holds the role groups.
func NewWorld() *World {
	w := &World{
		ManagementAccount: "111111111111",
		OrganizationID:    "o-a1b2c3d4e5",
		IdentityStoreID:   "d-9067a1b2c3",
		OUs: map[string][]Account{
			"ou-a1b2-workloads1": {
				{ID: "333333333333", Name: "workloads-prod", Status: "ACTIVE"},
				{ID: "444444444444", Name: "workloads-test", Status: "ACTIVE"},
			},
			"ou-a1b2-sandboxes1": {
				{ID: "222222222222", Name: "sandbox-shared", Status: "ACTIVE"},
				{ID: "555555555555", Name: "sandbox-alice", Status: "ACTIVE"},
			},
			"ou-a1b2-newteam01": {
				{ID: "666666666666", Name: "newteam-prod", Status: "ACTIVE"},
			},
		},
		groups:       map[string]string{},
		entraGroups:  map[string]string{},
		clientIDs:    map[string]string{},
		records:      map[recordKey]*record{},
		unique:       map[string]resource.ID{},
		buckets:      map[string]*bucketState{},
		memberStacks: map[string]int{},
		publicParameters: map[string]string{
			"/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base": "ami-0b2d1c2e3f4a5b601",
			"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "ami-0a1b2c3d4e5f60702",
			"/aws/service/debian/release/12/latest/amd64":                           "ami-0c3d4e5f6a7b80803",
		},
	}
	for _, g := range []string{"SG-AWS-SSM-Admin", "SG-AWS-SSM-Oracle", "SG-AWS-SSM-Developer", "SG-AWS-SSM-Support"} {
		w.entraGroups[g] = w.uuid()
	}
	return w
}

// AddEntraGroups creates security groups in the Entra tenant (the role
// groups of the per-role example exist from the start).
func (w *World) AddEntraGroups(names ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		if _, ok := w.entraGroups[n]; !ok {
			w.entraGroups[n] = w.uuid()
		}
	}
}

// ProvisionGroups does what SCIM does once the Entra application
// provisions: the named groups appear in the identity store.
func (w *World) ProvisionGroups(names ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		if _, ok := w.groups[n]; !ok {
			// Identity store ids: ten hex digits, a dash, a UUID.
			w.groups[n] = "9067a1b2c3-" + w.uuid()
		}
	}
}

// RetireAccountStatus makes Organizations stop reporting the accounts'
// Status field, which it is retiring in favour of State (the data source of
// pulumi-aws v6.83.2 reads Status only, so it reports "").
func (w *World) RetireAccountStatus() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ou, accts := range w.OUs {
		for i := range accts {
			w.OUs[ou][i].Status = ""
		}
	}
}

// GroupID returns the identity store id of a provisioned group ("" when
// SCIM has not provisioned it).
func (w *World) GroupID(name string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.groups[name]
}

// Log returns the changes made so far, in order.
func (w *World) Log() []Operation {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Operation(nil), w.log...)
}

// Resources returns the ids of the resources of type typ that exist.
func (w *World) Resources(typ string) []resource.ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []resource.ID
	for k := range w.records {
		if k.typ == typ {
			out = append(out, k.id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// MemberStacks returns how many StackSet stacks exist in account/region
// pairs, keyed "account/region".
func (w *World) MemberStacks() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for k, v := range w.memberStacks {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

func (w *World) uuid() string {
	w.seq++
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", 0x5e5e0000+w.seq, w.seq%0xffff, w.seq%0xfff, w.seq%0xfff, w.seq)
}

func (w *World) hex(n int) string {
	w.seq++
	s := fmt.Sprintf("%0*x", n, w.seq*7919)
	return s[len(s)-n:]
}

// knownTarget reports whether an account id, OU id or root id is part of
// the organization.
func (w *World) knownTarget(id string) bool {
	if id == w.ManagementAccount || strings.HasPrefix(id, "r-") {
		return true
	}
	if _, ok := w.OUs[id]; ok {
		return true
	}
	for _, accts := range w.OUs {
		for _, a := range accts {
			if a.ID == id {
				return true
			}
		}
	}
	return false
}

// find returns a resource of type typ with id in any account or region.
func (w *World) find(typ string, id resource.ID) (recordKey, *record) {
	for k, r := range w.records {
		if k.typ == typ && k.id == id {
			return k, r
		}
	}
	return recordKey{}, nil
}

func (w *World) findByOutput(typ, key, value string) *record {
	for _, r := range w.records {
		if r.typ == typ && str(r.outputs, key) == value {
			return r
		}
	}
	return nil
}

// claim reserves the unique keys of a new resource, or names the conflict.
func (w *World) claim(keys []string, id resource.ID) (string, bool) {
	for _, k := range keys {
		if _, taken := w.unique[k]; taken {
			return k, false
		}
	}
	for _, k := range keys {
		w.unique[k] = id
	}
	return "", true
}

func (w *World) release(r *record) {
	for _, k := range r.keys {
		delete(w.unique, k)
	}
}

// str returns a string property, looking through secrets; "" otherwise.
func str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	v = plain(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// strs returns a list of strings property.
func strs(v resource.PropertyValue) []string {
	v = plain(v)
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = plain(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func object(m resource.PropertyMap, key string) resource.PropertyMap {
	v := plain(m[resource.PropertyKey(key)])
	if v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// SeedAccessControlAttributes gives the Identity Center instance an ABAC
// configuration made outside the stack (in the console, say): key to
// source, in order. Identity Center holds one per instance.
func (w *World) SeedAccessControlAttributes(region, instanceARN string, attributes [][2]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var attrs []any
	for _, a := range attributes {
		attrs = append(attrs, map[string]any{"key": a[0], "values": []any{map[string]any{"sources": []any{a[1]}}}})
	}
	in := resource.NewPropertyMapFromMap(map[string]any{"instanceArn": instanceARN, "attributes": attrs})
	out := with(in, "status", "ENABLED", "statusReason", "")
	w.seed(typeAccessControlAttrs, region, resource.ID(instanceARN), in, out, "abac|"+instanceARN)
}

// SeedGalleryApplication instantiates the gallery application outside the
// stack, with its identifier URI and Web reply URLs, and returns the
// application's and the service principal's object ids.
func (w *World) SeedGalleryApplication(displayName, identifierURI string, replyURLs []string) (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	obj, client, sp := w.uuid(), w.uuid(), w.uuid()
	w.clientIDs[obj] = client
	app := "/applications/" + obj
	in := resource.NewPropertyMapFromMap(map[string]any{"templateId": galleryTemplateID, "displayName": displayName})
	out := with(in, "applicationId", app, "applicationObjectId", obj,
		"servicePrincipalId", "/servicePrincipals/"+sp, "servicePrincipalObjectId", sp)
	w.seed(typeAppFromTemplate, "", resource.ID("/applicationTemplates/"+galleryTemplateID+"/instantiate/"+obj+"/"+sp), in, out)
	ids := map[string]string{}
	for _, r := range galleryAppRoles {
		ids[r] = w.uuid()
	}
	roles, byValue := spAppRoles(ids)
	w.seed(typeServicePrincipal, "", resource.ID(sp), nil, resource.PropertyMap{
		"objectId": resource.NewStringProperty(sp), "clientId": resource.NewStringProperty(client),
		"displayName": resource.NewStringProperty(displayName), "appRoles": roles, "appRoleIds": byValue,
		"synchronizationTemplates": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty(gallerySyncTemplate)}),
	})
	uri := resource.NewPropertyMapFromMap(map[string]any{"applicationId": app, "identifierUri": identifierURI})
	w.seed(typeIdentifierURI, "", resource.ID(app+"/identifierUris/"+base64.StdEncoding.EncodeToString([]byte(identifierURI))),
		uri, uri.Copy(), "identifier-uri|"+identifierURI)
	var urls []any
	for _, u := range replyURLs {
		urls = append(urls, u)
	}
	reply := resource.NewPropertyMapFromMap(map[string]any{"applicationId": app, "type": "Web", "redirectUris": urls})
	w.seed(typeRedirectURIs, "", resource.ID(app+"/redirectUris/Web"), reply, reply.Copy(), "redirect-uris|"+app+"|Web")
	return obj, sp
}

func (w *World) seed(typ, region string, id resource.ID, in, out resource.PropertyMap, keys ...string) {
	for _, k := range keys {
		w.unique[k] = id
	}
	w.records[recordKey{typ: typ, account: w.ManagementAccount, region: region, id: id}] = &record{
		typ: typ, account: w.ManagementAccount, region: region, inputs: in, outputs: out, keys: keys,
	}
}
