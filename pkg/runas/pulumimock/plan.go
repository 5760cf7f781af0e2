// Package plan runs a stack program under Pulumi's mocks and records every
// resource it registers: type, name, parent, provider and the inputs the
// provider would receive. `runas plan` prints the record; the component and
// stack tests assert on it. Nothing here talks to a cloud or needs
// credentials.
//
// Unit testing Pulumi programs: https://www.pulumi.com/docs/iac/concepts/testing/unit/
package pulumimock

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
}

// Recorder is a pulumi.MockResourceMonitor that records every registration.
// Pulumi calls it from several goroutines, so it is guarded.
type Recorder struct {
	mu   sync.Mutex
	rows []Row
}

var _ pulumi.MockResourceMonitor = (*Recorder)(nil)

// NewResource records the registration and answers with the inputs plus the
// id, arn and name a provider would fill in.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	row := Row{Type: args.TypeToken, Name: args.Name, Inputs: Plain(args.Inputs)}
	if rpc := args.RegisterRPC; rpc != nil {
		row.Parent = urnName(rpc.GetParent())
		// A provider reference is "<urn>::<id>"; the URN has "::" of its
		// own, so the id is what follows the last one.
		if p := rpc.GetProvider(); p != "" {
			if i := strings.LastIndex(p, "::"); i > 0 {
				row.Provider = urnName(p[:i])
			}
		}
	}
	if strings.HasPrefix(row.Type, "pulumi:providers:") {
		row.Provider = ""
	}
	r.mu.Lock()
	r.rows = append(r.rows, row)
	r.mu.Unlock()

	id := args.Name + "-id"
	for _, k := range []resource.PropertyKey{"name", "bucket"} {
		if v, ok := args.Inputs[k]; ok && v.IsString() && v.StringValue() != "" {
			id = v.StringValue()
			break
		}
	}
	outs := args.Inputs.Copy()
	if !outs.HasValue("name") {
		outs["name"] = resource.NewStringProperty(args.Name)
	}
	outs["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:mock:::%s/%s", args.TypeToken, id))
	if fill, ok := computed[args.TypeToken]; ok {
		for k, v := range fill(args.Name) {
			outs[resource.PropertyKey(k)] = resource.NewStringProperty(v)
		}
	}
	return id, outs, nil
}

// computed fills outputs that providers compute and other resources read,
// so the plan shows where a value flows instead of an empty string.
var computed = map[string]func(name string) map[string]string{
	"azuread:index/applicationFromTemplate:ApplicationFromTemplate": func(name string) map[string]string {
		return map[string]string{
			"applicationObjectId":      name + "-object-id",
			"applicationId":            "/applications/" + name + "-object-id",
			"servicePrincipalObjectId": name + "-sp-object-id",
			"servicePrincipalId":       "/servicePrincipals/" + name + "-sp-object-id",
		}
	},
	"azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate": func(name string) map[string]string {
		return map[string]string{"thumbprint": "THUMBPRINT-OF-" + name}
	},
}

// Lookups the programs make, answered offline with placeholders that say
// what they stand for.
const (
	TokenGetGroup             = "aws:identitystore/getGroup:getGroup"
	TokenOUDescendantAccounts = "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts"
	TokenEntraApplication     = "azuread:index/getApplication:getApplication"
	TokenEntraSP              = "azuread:index/getServicePrincipal:getServicePrincipal"
	TokenEntraGroup           = "azuread:index/getGroup:getGroup"
)

// Call answers lookups offline. An identity store group is
// "group-<display name>", an Entra group "entra-group-<display name>"; an
// OU stands for one placeholder account "<ou id>-accounts", because which
// accounts it holds is only known when the program runs against AWS.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case TokenGetGroup:
		name := "unknown"
		if alt, ok := args.Args["alternateIdentifier"]; ok && alt.IsObject() {
			if ua, ok := alt.ObjectValue()["uniqueAttribute"]; ok && ua.IsObject() {
				name = ua.ObjectValue()["attributeValue"].StringValue()
			}
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"groupId": "group-" + name, "displayName": name, "id": "group-" + name,
		}), nil
	case TokenOUDescendantAccounts:
		ou := args.Args["parentId"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"parentId": ou,
			"accounts": []any{map[string]any{"id": ou + "-accounts", "status": "ACTIVE", "name": "accounts of " + ou}},
		}), nil
	case TokenEntraApplication:
		return resource.NewPropertyMapFromMap(map[string]any{"clientId": "client-id-of-application"}), nil
	case TokenEntraSP:
		return resource.NewPropertyMapFromMap(map[string]any{
			"appRoleIds": map[string]any{"User": "app-role-User", "msiam_access": "app-role-msiam_access"},
		}), nil
	case TokenEntraGroup:
		name := args.Args["displayName"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"objectId": "entra-group-" + name, "displayName": name}), nil
	}
	return resource.PropertyMap{}, fmt.Errorf("plan: lookup %s cannot be answered offline", args.Token)
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

// Run executes program under mocks and returns what it registered.
func Run(program pulumi.RunFunc) ([]Row, error) {
	rec := &Recorder{}
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
		return map[string]any{"archive": v.ArchiveValue().Hash}
	case v.IsResourceReference():
		return urnName(string(v.ResourceReferenceValue().URN))
	}
	return fmt.Sprint(v)
}
