package engine

import (
	"slices"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// diff compares what the provider holds (the old outputs, as the bridged
// providers compare the Terraform state) with the program's new inputs,
// the way a plan of the Terraform provider does:
//   - an input the program sets and that differs is a change, and a
//     replacement when the schema marks it ForceNew;
//   - an input the program leaves out is no change when the schema computes
//     it (Optional+Computed) or when the provider holds its zero value, and
//     a change otherwise (the plan sets it to null);
//   - paths in ignoreChanges take the value the provider holds.
func diff(s resourceSchema, req plugin.DiffRequest) plugin.DiffResult {
	news := req.NewInputs.Copy()
	olds := req.OldOutputs
	for k, v := range s.defaults {
		if nv, ok := news[resource.PropertyKey(k)]; !ok || nv.IsNull() {
			news[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	for _, p := range req.IgnoreChanges {
		path, err := resource.ParsePropertyPath(p)
		if err != nil {
			continue
		}
		if v, ok := path.Get(resource.NewObjectProperty(olds)); ok {
			path.Set(resource.NewObjectProperty(news), v)
		} else {
			path.Delete(resource.NewObjectProperty(news))
		}
	}

	keys := map[resource.PropertyKey]bool{}
	for k := range news {
		keys[k] = true
	}
	for k := range req.OldInputs {
		keys[k] = true
	}
	for _, k := range s.readBackInputs {
		keys[resource.PropertyKey(k)] = true
	}

	var changed, replace []resource.PropertyKey
	detailed := map[string]plugin.PropertyDiff{}
	for k := range keys {
		if isInternalKey(k) {
			continue
		}
		nv, hasNew := news[k]
		ov, hasOld := olds[k]
		if !hasOld {
			ov, hasOld = req.OldInputs[k]
		}
		kind := plugin.DiffUpdate
		switch {
		case !hasNew || nv.IsNull():
			if slices.Contains(s.computedInputs, string(k)) || !hasOld || isZero(ov) {
				continue
			}
			kind = plugin.DiffDelete
		case nv.ContainsUnknowns():
			// Not known until apply: it may change.
		case !hasOld || isZero(ov):
			if isZero(nv) {
				continue
			}
			kind = plugin.DiffAdd
		case plain(ov).DeepEquals(plain(nv)):
			continue
		}
		changed = append(changed, k)
		if slices.Contains(s.replaceOnChanges, string(k)) || nestedForcesNew(s.nestedReplace[string(k)], ov, nv) ||
			(s.replaceIf[string(k)] != nil && s.replaceIf[string(k)](news)) {
			replace = append(replace, k)
			kind = replaceKind(kind)
		}
		// The bridge reports a changed map attribute (tags, say) by the
		// keys that changed, so replaceOnChanges can name one of them.
		if nested := nestedChanges(k, ov, nv); kind == plugin.DiffUpdate && len(nested) > 0 {
			for _, p := range nested {
				detailed[p] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
			}
		} else {
			detailed[string(k)] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
		}
	}
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}
	}
	sortKeys(changed)
	sortKeys(replace)
	return plugin.DiffResult{
		Changes:      plugin.DiffSome,
		ChangedKeys:  changed,
		ReplaceKeys:  replace,
		DetailedDiff: detailed,
	}
}

// nestedChanges returns the paths of the entries that differ between two
// maps of strings (none for anything else).
func nestedChanges(k resource.PropertyKey, ov, nv resource.PropertyValue) []string {
	ov, nv = plain(ov), plain(nv)
	if !ov.IsObject() || !nv.IsObject() {
		return nil
	}
	o, n := ov.ObjectValue(), nv.ObjectValue()
	var out []string
	for _, m := range []resource.PropertyMap{o, n} {
		for nk, v := range m {
			if !v.IsString() && !v.IsNull() {
				return nil
			}
			if o[nk].DeepEquals(n[nk]) {
				continue
			}
			p := resource.PropertyPath{string(k), string(nk)}.String()
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// nestedForcesNew reports whether one of the ForceNew attributes nested in
// a block differs between the old and the new value; an attribute the
// program leaves out keeps what the provider computed.
func nestedForcesNew(forceNew []string, ov, nv resource.PropertyValue) bool {
	if len(forceNew) == 0 {
		return false
	}
	block := func(v resource.PropertyValue) resource.PropertyMap {
		v = plain(v)
		if v.IsArray() && len(v.ArrayValue()) == 1 {
			v = v.ArrayValue()[0]
		}
		if v.IsObject() {
			return v.ObjectValue()
		}
		return resource.PropertyMap{}
	}
	o, n := block(ov), block(nv)
	for _, k := range forceNew {
		nk, set := n[resource.PropertyKey(k)]
		if !set || nk.IsNull() {
			continue
		}
		if nk.ContainsUnknowns() || !o[resource.PropertyKey(k)].DeepEquals(nk) {
			return true
		}
	}
	return false
}

func replaceKind(k plugin.DiffKind) plugin.DiffKind {
	switch k {
	case plugin.DiffAdd:
		return plugin.DiffAddReplace
	case plugin.DiffDelete:
		return plugin.DiffDeleteReplace
	default:
		return plugin.DiffUpdateReplace
	}
}

// isInternalKey tells the bridge's bookkeeping keys from inputs.
func isInternalKey(k resource.PropertyKey) bool {
	return len(k) > 2 && k[:2] == "__"
}

// isZero reports the values the Terraform plugin SDK treats as unset: null,
// "", false, 0 and empty collections.
func isZero(v resource.PropertyValue) bool {
	v = plain(v)
	switch {
	case v.IsNull():
		return true
	case v.IsString():
		return v.StringValue() == ""
	case v.IsBool():
		return !v.BoolValue()
	case v.IsNumber():
		return v.NumberValue() == 0
	case v.IsArray():
		return len(v.ArrayValue()) == 0
	case v.IsObject():
		return len(v.ObjectValue()) == 0
	}
	return false
}

// plain drops secret markers: the provider compares values, not their
// secrecy.
func plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsOutput():
		return plain(v.OutputValue().Element)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = plain(e)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = plain(e)
		}
		return resource.NewObjectProperty(obj)
	}
	return v
}

func sortKeys(ks []resource.PropertyKey) {
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
}
