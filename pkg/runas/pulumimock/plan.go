// Package pulumimock runs a stack program under Pulumi's mocks and records
// every resource it registers: type, name, parent, provider, the inputs the
// provider would receive and the options the engine acts on (dependencies,
// ignored changes, imports, timeouts, retain on delete). `runas plan`
// prints the record; the component and stack tests assert on it. Nothing
// here talks to a cloud or needs credentials.
//
// The mocks answer as the providers do, so that a test cannot pass on a
// lookup the real provider would fail: groups exist only when a test seeds
// them (a single-group lookup of a missing group fails, a listing is
// empty), the gallery application's app roles come back with null values
// (so appRoleIds, keyed by value, is empty), OUs hold 12-digit accounts,
// and registering the same URN twice fails.
//
// Unit testing Pulumi programs: https://www.pulumi.com/docs/iac/concepts/testing/unit/
package pulumimock

import (
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Project and stack names the mocks run under.
const (
	Project = "ssm-runas"
	Stack   = "plan"
)

// Row is one resource the program would create.
type Row struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// Parent is the parent resource's name, or "" for top-level resources.
	Parent string `json:"parent"`
	// Provider is the explicit provider's name, or "" for the default one.
	Provider string         `json:"provider,omitempty"`
	Inputs   map[string]any `json:"inputs"`
	// Options are the resource options the engine acts on.
	Options *Options `json:"options,omitempty"`
}

// Options are the resource options of a row that change what the engine
// does: what it waits for, what it leaves alone, how long it waits.
type Options struct {
	// DependsOn names the resources this one waits for.
	DependsOn []string `json:"dependsOn,omitempty"`
	// IgnoreChanges are properties whose changes are not sent.
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// RetainOnDelete leaves the cloud resource in place when it leaves the stack.
	RetainOnDelete bool `json:"retainOnDelete,omitempty"`
	// Protect refuses deleting or replacing the resource.
	Protect bool `json:"protect,omitempty"`
	// ImportID is the id of an existing resource the stack adopts.
	ImportID string `json:"importId,omitempty"`
	// Timeouts are the custom create, update and delete timeouts.
	Timeouts map[string]string `json:"timeouts,omitempty"`
	// ReplaceOnChanges are properties whose changes replace the resource
	// although the provider would update it in place.
	ReplaceOnChanges []string `json:"replaceOnChanges,omitempty"`
	// DeleteBeforeReplace deletes the old resource before its replacement
	// is created.
	DeleteBeforeReplace bool `json:"deleteBeforeReplace,omitempty"`
}

// Group is a group a lookup finds.
type Group struct {
	DisplayName string
	ID          string
}

// Account is an account of an OU as Organizations lists it.
type Account struct {
	ID string
	// Status is what pulumi-aws v6 returns (ACTIVE, SUSPENDED, ...).
	Status string
	// State is Organizations' replacement of Status; empty where the
	// provider does not return it.
	State string
}

// Recorder is a pulumi.MockResourceMonitor that records every registration
// and answers lookups as the providers would. Pulumi calls it from several
// goroutines, so it is guarded. The zero value is a fresh organization:
// no group in Entra or in the identity store.
type Recorder struct {
	// IdentityStoreGroups exist in every identity store (SCIM provisioned
	// them). None by default.
	IdentityStoreGroups []string
	// EntraGroups are Entra security groups that exist. None by default.
	EntraGroups []string
	// OUAccounts lists the accounts of OUs; an OU not listed holds one
	// active account whose 12-digit id is derived from the OU id.
	OUAccounts map[string][]Account

	mu   sync.Mutex
	rows []Row
	urns map[string]bool
	// regions are the aws providers' regions, by provider name.
	regions map[string]string
}

// defaultRegion places resources whose provider names no region.
const defaultRegion = "us-east-1"

var _ pulumi.MockResourceMonitor = (*Recorder)(nil)

// NewResource records the registration and answers with the inputs plus the
// id, arn and name a provider would fill in. A second registration of the
// same URN fails, as the engine refuses it.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	row := Row{Type: args.TypeToken, Name: args.Name, Inputs: Plain(args.Inputs)}
	urn := args.TypeToken + "::" + args.Name
	if rpc := args.RegisterRPC; rpc != nil {
		row.Parent = urnName(rpc.GetParent())
		urn = qualifiedType(rpc.GetParent(), args.TypeToken) + "::" + args.Name
		// A provider reference is "<urn>::<id>"; the URN has "::" of its
		// own, so the id is what follows the last one.
		if p := rpc.GetProvider(); p != "" {
			if i := strings.LastIndex(p, "::"); i > 0 {
				row.Provider = urnName(p[:i])
			}
		}
		row.Options = options(rpc)
	}
	if strings.HasPrefix(row.Type, "pulumi:providers:") {
		row.Provider = ""
	}
	r.mu.Lock()
	if r.urns == nil {
		r.urns = map[string]bool{}
	}
	dup := r.urns[urn]
	r.urns[urn] = true
	if !dup {
		r.rows = append(r.rows, row)
	}
	if row.Type == "pulumi:providers:aws" {
		if v, ok := args.Inputs["region"]; ok && v.IsString() {
			if r.regions == nil {
				r.regions = map[string]string{}
			}
			r.regions[row.Name] = v.StringValue()
		}
	}
	region := r.regions[row.Provider]
	r.mu.Unlock()
	if region == "" {
		region = defaultRegion
	}
	if dup {
		return "", nil, fmt.Errorf("Duplicate resource URN '%s'; try giving it a unique name", urn)
	}

	id := args.Name + "-id"
	for _, k := range []resource.PropertyKey{"name", "bucket"} {
		if v, ok := args.Inputs[k]; ok && v.IsString() && v.StringValue() != "" {
			id = v.StringValue()
			break
		}
	}
	if args.ID != "" {
		id = args.ID // an import keeps the id it names
	}
	outs := args.Inputs.Copy()
	if !outs.HasValue("name") {
		outs["name"] = resource.NewStringProperty(args.Name)
	}
	outs["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:mock:::%s/%s", args.TypeToken, id))
	if fill, ok := computed[args.TypeToken]; ok {
		for k, v := range fill(args.Name, region) {
			outs[resource.PropertyKey(k)] = resource.NewStringProperty(v)
		}
	}
	return id, outs, nil
}

// options reads the engine-relevant options of a registration.
func options(rpc interface {
	GetDependencies() []string
	GetIgnoreChanges() []string
	GetRetainOnDelete() bool
	GetProtect() bool
	GetImportId() string
	GetCustomTimeouts() *pulumirpc.RegisterResourceRequest_CustomTimeouts
	GetReplaceOnChanges() []string
	GetDeleteBeforeReplace() bool
}) *Options {
	o := &Options{IgnoreChanges: rpc.GetIgnoreChanges(), RetainOnDelete: rpc.GetRetainOnDelete(), Protect: rpc.GetProtect(), ImportID: rpc.GetImportId(),
		ReplaceOnChanges: rpc.GetReplaceOnChanges(), DeleteBeforeReplace: rpc.GetDeleteBeforeReplace()}
	for _, d := range rpc.GetDependencies() {
		o.DependsOn = append(o.DependsOn, urnName(d))
	}
	sort.Strings(o.DependsOn)
	if t := rpc.GetCustomTimeouts(); t != nil && (t.Create != "" || t.Update != "" || t.Delete != "") {
		o.Timeouts = map[string]string{"create": t.Create, "update": t.Update, "delete": t.Delete}
	}
	if len(o.DependsOn) == 0 && len(o.IgnoreChanges) == 0 && !o.RetainOnDelete && !o.Protect && o.ImportID == "" && o.Timeouts == nil &&
		len(o.ReplaceOnChanges) == 0 && !o.DeleteBeforeReplace {
		return nil
	}
	return o
}

// qualifiedType is the type part of a child's URN: the parent's type chain
// and the child's type, or the type alone under the stack.
func qualifiedType(parentURN, typ string) string {
	parts := strings.Split(parentURN, "::")
	if parentURN == "" || len(parts) < 4 || strings.HasSuffix(parts[2], "pulumi:pulumi:Stack") {
		return typ
	}
	return parts[2] + "$" + typ
}

// computed fills outputs that providers compute and other resources read,
// so the plan shows where a value flows instead of an empty string. region
// is the resource's provider's.
var computed = map[string]func(name, region string) map[string]string{
	"azuread:index/applicationFromTemplate:ApplicationFromTemplate": func(name, _ string) map[string]string {
		return map[string]string{
			"applicationObjectId":      name + "-object-id",
			"applicationId":            "/applications/" + name + "-object-id",
			"servicePrincipalObjectId": name + "-sp-object-id",
			"servicePrincipalId":       "/servicePrincipals/" + name + "-sp-object-id",
		}
	},
	"azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate": func(name, _ string) map[string]string {
		return map[string]string{"thumbprint": "THUMBPRINT-OF-" + name}
	},
	// A KMS key's keyId is its id, a UUID; the mock's id stands for it.
	"aws:kms/key:Key": func(name, _ string) map[string]string {
		return map[string]string{"keyId": name + "-id"}
	},
	// A function URL is https://<url-id>.lambda-url.<region>.on.aws/, the
	// id 32 lower-case letters and digits Lambda picks.
	"aws:lambda/functionUrl:FunctionUrl": func(name, region string) map[string]string {
		id := fmt.Sprintf("%x", sha256.Sum256([]byte(name)))[:32]
		return map[string]string{"functionUrl": "https://" + id + ".lambda-url." + region + ".on.aws/", "urlId": id}
	},
	// Secrets Manager appends a hyphen and six random characters to the
	// name; readers (the join script, its IAM policy) parse that shape.
	"aws:secretsmanager/secret:Secret": func(name, region string) map[string]string {
		return map[string]string{"arn": "arn:aws:secretsmanager:" + region + ":111111111111:secret:" + name + "-AbCdEf"}
	},
}

// Lookups the programs make, answered offline.
const (
	TokenGetGroup             = "aws:identitystore/getGroup:getGroup"
	TokenGetGroups            = "aws:identitystore/getGroups:getGroups"
	TokenOUDescendantAccounts = "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts"
	TokenEntraApplication     = "azuread:index/getApplication:getApplication"
	TokenEntraSP              = "azuread:index/getServicePrincipal:getServicePrincipal"
	TokenEntraGroup           = "azuread:index/getGroup:getGroup"
)

// Gallery application roles as Graph lists them on the service principal:
// their value is null, so the provider's appRoleIds (keyed by value) is empty.
var galleryAppRoles = []map[string]any{
	{"id": "8774f594-1d59-4279-b9d9-59ef09a23530", "displayName": "User", "value": "", "enabled": true,
		"allowedMemberTypes": []any{"User"}, "description": "User"},
	{"id": "7dfd756e-8c27-4472-b2b7-38c17fc5de5e", "displayName": "msiam_access", "value": "", "enabled": true,
		"allowedMemberTypes": []any{"User"}, "description": "msiam_access"},
}

// Call answers lookups as the providers would: groups exist only when
// seeded (a single-group lookup of a missing group fails, a listing is
// empty), OUs hold 12-digit accounts, and the gallery application's
// roles come back with null values. An identity store group's id is
// "group-<display name>", an Entra group's "entra-group-<display name>".
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case TokenGetGroup:
		name := ""
		if alt, ok := args.Args["alternateIdentifier"]; ok && alt.IsObject() {
			if ua, ok := alt.ObjectValue()["uniqueAttribute"]; ok && ua.IsObject() {
				name = ua.ObjectValue()["attributeValue"].StringValue()
			}
		}
		if !slices.Contains(r.IdentityStoreGroups, name) {
			// AWS answers GetGroupId for a missing group with ResourceNotFoundException.
			return nil, fmt.Errorf("reading IdentityStore Group: operation error identitystore: GetGroupId, ResourceNotFoundException: GROUP not found (%s)", name)
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"groupId": "group-" + name, "displayName": name, "id": "group-" + name,
			"identityStoreId": args.Args["identityStoreId"].StringValue(),
		}), nil
	case TokenGetGroups:
		store := args.Args["identityStoreId"].StringValue()
		groups := []any{}
		for _, name := range r.IdentityStoreGroups {
			groups = append(groups, map[string]any{"groupId": "group-" + name, "displayName": name, "identityStoreId": store,
				"description": "", "externalIds": []any{}})
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": store, "identityStoreId": store, "groups": groups}), nil
	case TokenOUDescendantAccounts:
		ou := args.Args["parentId"].StringValue()
		accounts := r.OUAccounts[ou]
		if accounts == nil {
			accounts = []Account{{ID: AccountOf(ou), Status: "ACTIVE"}}
		}
		list := []any{}
		for _, a := range accounts {
			m := map[string]any{"id": a.ID, "name": "account " + a.ID, "arn": "arn:aws:organizations::111111111111:account/o-mock/" + a.ID,
				"email": a.ID + "@example.com", "status": a.Status}
			if a.State != "" {
				m["state"] = a.State
			}
			list = append(list, m)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": ou, "parentId": ou, "accounts": list}), nil
	case TokenEntraApplication:
		return resource.NewPropertyMapFromMap(map[string]any{"clientId": "client-id-of-application"}), nil
	case TokenEntraSP:
		roles := make([]any, len(galleryAppRoles))
		for i, role := range galleryAppRoles {
			roles[i] = role
		}
		return resource.NewPropertyMapFromMap(map[string]any{"appRoleIds": map[string]any{}, "appRoles": roles}), nil
	case TokenEntraGroup:
		name := args.Args["displayName"].StringValue()
		if !slices.Contains(r.EntraGroups, name) {
			return nil, fmt.Errorf("no group found matching specified filter (displayName eq '%s')", name)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"objectId": "entra-group-" + name, "displayName": name}), nil
	}
	return resource.PropertyMap{}, fmt.Errorf("plan: lookup %s cannot be answered offline", args.Token)
}

// AccountOf is the 12-digit account the mock places in an OU that
// OUAccounts does not list.
func AccountOf(ou string) string {
	h := fnv.New64a()
	h.Write([]byte(ou))
	return fmt.Sprintf("%012d", h.Sum64()%1_000_000_000_000)
}

// OfType returns the rows of one resource type, in their order.
func OfType(rows []Row, typ string) []Row {
	var out []Row
	for _, r := range rows {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Rows returns the recorded resources sorted by type, then name.
func (r *Recorder) Rows() []Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Row(nil), r.rows...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Run executes program under mocks of a fresh organization and returns
// what it registered.
func Run(program pulumi.RunFunc) ([]Row, error) {
	return RunWith(&Recorder{}, program)
}

// RunWith executes program under rec and returns what it registered.
func RunWith(rec *Recorder, program pulumi.RunFunc) ([]Row, error) {
	if err := pulumi.RunErr(program, pulumi.WithMocks(Project, Stack, rec)); err != nil {
		return nil, err
	}
	return rec.Rows(), nil
}

// urnName returns the resource name of a URN, or "" for the root stack.
func urnName(urn string) string {
	if urn == "" {
		return ""
	}
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	types := parts[2]
	if t := types[strings.LastIndex(types, "$")+1:]; t == "pulumi:pulumi:Stack" {
		return ""
	}
	return parts[3]
}

// Plain converts provider inputs to JSON-friendly values. Secrets are never
// printed; unknown values and assets are shown by what they are.
func Plain(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		f := v.NumberValue()
		if f == float64(int64(f)) {
			return int64(f)
		}
		return f
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsObject():
		return Plain(v.ObjectValue())
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed():
		return "[unknown]"
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return "[secret]"
		}
		if !o.Known {
			return "[unknown]"
		}
		return plainValue(o.Element)
	case v.IsAsset():
		a := v.AssetValue()
		name := "inline"
		if a.IsPath() {
			name = path.Base(a.Path)
		}
		out := map[string]any{"asset": name}
		if a.Hash != "" {
			out["hash"] = a.Hash
		}
		return out
	case v.IsArchive():
		a := v.ArchiveValue()
		name := "assets"
		switch {
		case a.IsPath():
			name = path.Base(a.Path)
		case a.IsURI():
			name = a.URI
		}
		out := map[string]any{"archive": name}
		if a.Hash != "" {
			out["hash"] = a.Hash
		}
		return out
	case v.IsResourceReference():
		return urnName(string(v.ResourceReferenceValue().URN))
	}
	return fmt.Sprint(v)
}
