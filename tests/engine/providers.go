package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Plugin versions the SDKs the programs import ask for.
const (
	awsVersion     = "6.83.2"
	azureadVersion = "5.46.0"
)

// providerConfig is what one configured provider acts as.
type providerConfig struct {
	pkg     string
	region  string
	account string
}

// handler implements one resource type against the World. Its errors carry
// the services' own error codes and wording (ConflictException ...), as the
// real providers pass them on.
type handler struct {
	// check returns the input failures the provider's validation reports
	// (in preview too).
	check func(w *World, in resource.PropertyMap) []plugin.CheckFailure
	// create makes the resource: its id, the outputs to keep (the inputs
	// plus what the service computes) and the unique keys it holds.
	create func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error)
	// update changes it in place and returns the new outputs.
	update func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error)
	// remove deletes it.
	remove func(w *World, r *record) error
	// latency is how long a create takes (an upload, say), so that what
	// does not wait for it visibly runs first.
	latency time.Duration
}

// Loaders returns the plugin loaders of the fake aws and azuread
// providers, at the versions the SDKs request.
func (w *World) Loaders() []*deploytest.ProviderLoader {
	return []*deploytest.ProviderLoader{
		deploytest.NewProviderLoader("aws", semver.MustParse(awsVersion), func() (plugin.Provider, error) {
			return w.newProvider("aws", awsVersion), nil
		}),
		deploytest.NewProviderLoader("azuread", semver.MustParse(azureadVersion), func() (plugin.Provider, error) {
			return w.newProvider("azuread", azureadVersion), nil
		}),
	}
}

func (w *World) newProvider(pkg, version string) plugin.Provider {
	conf := &providerConfig{pkg: pkg}
	return &deploytest.Provider{
		Package: tokens.Package(pkg),
		Version: semver.MustParse(version),
		CheckConfigF: func(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
			if pkg == "aws" && !req.News.ContainsUnknowns() && str(req.News, "region") == "" {
				// The AWS provider refuses to configure without a region.
				return plugin.CheckConfigResponse{Failures: []plugin.CheckFailure{{
					Property: "region", Reason: "missing required argument: the region where AWS operations will take place (set aws:region or region)",
				}}}, nil
			}
			return plugin.CheckConfigResponse{Properties: req.News}, nil
		},
		DiffConfigF: func(_ context.Context, req plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
			olds, news := req.OldInputs.Copy(), req.NewInputs.Copy()
			delete(olds, "version")
			delete(news, "version")
			if plain(resource.NewObjectProperty(olds)).DeepEquals(plain(resource.NewObjectProperty(news))) {
				return plugin.DiffResult{Changes: plugin.DiffNone}, nil
			}
			// pulumi-aws replaces every resource of a provider whose region
			// changes (ForcesProviderReplace on region, pulumi/pulumi-aws#4000),
			// unless the old inputs do not record the region.
			if pkg == "aws" && str(olds, "region") != "" && str(news, "region") != str(olds, "region") {
				return plugin.DiffResult{Changes: plugin.DiffSome, ReplaceKeys: []resource.PropertyKey{"region"}}, nil
			}
			return plugin.DiffResult{Changes: plugin.DiffSome}, nil
		},
		ConfigureF: func(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
			conf.region = str(req.Inputs, "region")
			conf.account = w.ManagementAccount
			if arn := str(object(req.Inputs, "assumeRole"), "roleArn"); arn != "" {
				if parts := strings.Split(arn, ":"); len(parts) > 4 && parts[4] != "" {
					conf.account = parts[4]
				}
			}
			return plugin.ConfigureResponse{}, nil
		},
		CheckF: func(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
			h, err := handlerFor(req.URN.Type().String())
			if err != nil {
				return plugin.CheckResponse{}, err
			}
			var failures []plugin.CheckFailure
			if h.check != nil {
				failures = h.check(w, req.News)
			}
			return plugin.CheckResponse{Properties: req.News, Failures: failures}, nil
		},
		DiffF: func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResult, error) {
			s, ok := schemas[req.URN.Type().String()]
			if !ok {
				return plugin.DiffResult{}, fmt.Errorf("fake %s provider: no schema row for %s", pkg, req.URN.Type())
			}
			return diff(s, req), nil
		},
		CreateF: func(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
			h, err := handlerFor(req.URN.Type().String())
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			if req.Preview {
				return plugin.CreateResponse{Properties: req.Properties, Status: resource.StatusOK}, nil
			}
			time.Sleep(h.latency)
			w.mu.Lock()
			defer w.mu.Unlock()
			id, outs, keys, err := h.create(w, *conf, req.Properties)
			if err != nil {
				return plugin.CreateResponse{}, fmt.Errorf("creating %s %s: %w", req.URN.Type(), req.URN.Name(), err)
			}
			if k, ok := w.claim(keys, id); !ok {
				return plugin.CreateResponse{}, fmt.Errorf("creating %s %s: %s", req.URN.Type(), req.URN.Name(), conflictMessage(k))
			}
			w.records[recordKey{req.URN.Type().String(), conf.account, conf.region, id}] = &record{typ: req.URN.Type().String(), urn: req.URN, account: conf.account, region: conf.region,
				inputs: req.Properties.Copy(), outputs: outs, keys: keys}
			w.log = append(w.log, Operation{Op: "create", Type: req.URN.Type().String(), URN: req.URN, ID: id, Region: conf.region, Timeout: req.Timeout})
			return plugin.CreateResponse{ID: id, Properties: outs, Status: resource.StatusOK}, nil
		},
		UpdateF: func(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
			h, err := handlerFor(req.URN.Type().String())
			if err != nil {
				return plugin.UpdateResponse{}, err
			}
			if req.Preview {
				return plugin.UpdateResponse{Properties: req.NewInputs, Status: resource.StatusOK}, nil
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			r, ok := w.records[recordKey{req.URN.Type().String(), conf.account, conf.region, req.ID}]
			if !ok {
				return plugin.UpdateResponse{}, fmt.Errorf("updating %s %s: %s does not exist", req.URN.Type(), req.URN.Name(), req.ID)
			}
			outs := req.NewInputs.Copy()
			if h.update != nil {
				if outs, err = h.update(w, *conf, r, req.NewInputs); err != nil {
					return plugin.UpdateResponse{}, fmt.Errorf("updating %s %s: %w", req.URN.Type(), req.URN.Name(), err)
				}
			} else {
				carryComputed(outs, r)
			}
			r.inputs, r.outputs, r.urn = req.NewInputs.Copy(), outs, req.URN
			w.log = append(w.log, Operation{Op: "update", Type: req.URN.Type().String(), URN: req.URN, ID: req.ID, Region: conf.region, Timeout: req.Timeout})
			return plugin.UpdateResponse{Properties: outs, Status: resource.StatusOK}, nil
		},
		DeleteF: func(_ context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
			h, err := handlerFor(req.URN.Type().String())
			if err != nil {
				return plugin.DeleteResponse{}, err
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			r, ok := w.records[recordKey{req.URN.Type().String(), conf.account, conf.region, req.ID}]
			if !ok {
				// Gone already: the providers treat that as deleted.
				return plugin.DeleteResponse{Status: resource.StatusOK}, nil
			}
			if h.remove != nil {
				if err := h.remove(w, r); err != nil {
					return plugin.DeleteResponse{}, fmt.Errorf("deleting %s %s: %w", req.URN.Type(), req.URN.Name(), err)
				}
			}
			w.release(r)
			delete(w.records, recordKey{req.URN.Type().String(), conf.account, conf.region, req.ID})
			w.log = append(w.log, Operation{Op: "delete", Type: req.URN.Type().String(), URN: req.URN, ID: req.ID, Region: conf.region, Timeout: req.Timeout})
			return plugin.DeleteResponse{Status: resource.StatusOK}, nil
		},
		ReadF: func(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			key := recordKey{req.URN.Type().String(), conf.account, conf.region, req.ID}
			r, ok := w.records[key]
			if !ok {
				// An import reads what exists outside the stack, by id.
				k, found := w.find(key.typ, req.ID)
				if found == nil {
					// Not found: an empty read tells the engine it is gone.
					return plugin.ReadResponse{Status: resource.StatusOK}, nil
				}
				delete(w.records, k)
				found.account, found.region = conf.account, conf.region
				w.records[key], r = found, found
			}
			r.urn = req.URN
			return plugin.ReadResponse{
				ReadResult: plugin.ReadResult{ID: req.ID, Inputs: r.inputs.Copy(), Outputs: r.outputs.Copy()},
				Status:     resource.StatusOK,
			}, nil
		},
		InvokeF: func(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
			f, ok := invokes[string(req.Tok)]
			if !ok {
				return plugin.InvokeResponse{}, fmt.Errorf("fake %s provider: function %s is not implemented here; add it in tests/engine/invokes.go", pkg, req.Tok)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			out, err := f(w, *conf, req.Args)
			if err != nil {
				return plugin.InvokeResponse{}, err
			}
			return plugin.InvokeResponse{Properties: out}, nil
		},
	}
}

func handlerFor(typ string) (handler, error) {
	h, ok := handlers[typ]
	if !ok {
		return handler{}, fmt.Errorf("no fake for resource type %s: add its schema row (tests/engine/schema.go) and handler (tests/engine/resources.go) from the provider's schema", typ)
	}
	if _, ok := schemas[typ]; !ok {
		return handler{}, fmt.Errorf("no schema row for resource type %s (tests/engine/schema.go)", typ)
	}
	return h, nil
}

// carryComputed keeps the service-computed outputs across an in-place
// update: what the service computed (every old output that was not an
// input), the Optional+Computed inputs the program leaves out, and the
// values the service reports on read.
func carryComputed(outs resource.PropertyMap, r *record) {
	s := schemas[r.typ]
	for k, v := range r.outputs {
		if _, set := outs[k]; set || isInternalKey(k) {
			continue
		}
		_, wasInput := r.inputs[k]
		if !wasInput || contains(s.readBackInputs, string(k)) || contains(s.computedInputs, string(k)) {
			outs[k] = v
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func conflictMessage(key string) string {
	kind, rest, _ := strings.Cut(key, "|")
	switch kind {
	case "permission-set":
		return "ConflictException: PermissionSet with name " + rest[strings.LastIndex(rest, "|")+1:] + " already exists."
	case "abac":
		return "ConflictException: An access control attribute configuration already exists for instance " + rest + "."
	case "stackset":
		return "NameAlreadyExistsException: A StackSet named " + rest[strings.LastIndex(rest, "|")+1:] + " already exists."
	case "stack":
		return "AlreadyExistsException: Stack [" + rest[strings.LastIndex(rest, "|")+1:] + "] already exists"
	case "bucket":
		return "BucketAlreadyOwnedByYou: Your previous request to create the named bucket succeeded and you already own it."
	case "policy":
		return "DuplicatePolicyException: A policy with the same name and type already exists."
	case "policy-attachment":
		return "DuplicatePolicyAttachmentException: A policy with the specified name and type already exists."
	case "assignment":
		return "creating SSO Account Assignment: already exists"
	case "customer-policy":
		return "ConflictException: the customer managed policy is already attached to the permission set"
	case "managed-policy":
		return "attaching Managed Policy to SSO Permission Set: already attached"
	case "identifier-uri":
		return "Another object with the same value for property identifierUris already exists."
	case "app-role-assignment":
		return "Permission being assigned already exists on the object"
	case "ssm-document":
		return "DocumentAlreadyExists: Document with same name " + rest[strings.LastIndex(rest, "|")+1:] + " already exists"
	case "ssm-parameter":
		return "ParameterAlreadyExists: The parameter already exists. To overwrite this value, set the overwrite option in the request to true"
	case "secret":
		return "ResourceExistsException: The operation failed because the secret " + rest[strings.LastIndex(rest, "|")+1:] + " already exists"
	case "instance-profile":
		return "EntityAlreadyExists: Instance Profile " + rest[strings.LastIndex(rest, "|")+1:] + " already exists"
	case "security-group":
		return "InvalidGroup.Duplicate: The security group '" + rest[strings.LastIndex(rest, "|")+1:] + "' already exists"
	case "subnet-route-table", "igw-attachment":
		return "Resource.AlreadyAssociated: " + rest + " is already associated"
	}
	return "already exists: " + key
}
