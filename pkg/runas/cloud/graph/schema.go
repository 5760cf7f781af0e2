package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Attribute mapping source types (attributeMappingSourceType).
const (
	SourceAttribute = "Attribute"
	SourceConstant  = "Constant"
	SourceFunction  = "Function"
)

// MappingSource is an attributeMappingSource: where a mapped value comes
// from, either one source attribute or a function of other sources.
// https://learn.microsoft.com/en-us/graph/api/resources/synchronization-attributemappingsource
type MappingSource struct {
	// Expression is the whole source as an expression, e.g. "[mail]" or
	// "ToLower([onPremisesSamAccountName], )".
	Expression string `json:"expression"`
	// Name is the attribute's name, the function's name or the constant.
	Name string `json:"name"`
	// Parameters are a function's arguments by name; empty otherwise.
	Parameters []MappingParameter `json:"parameters"`
	// Type is SourceAttribute, SourceConstant or SourceFunction.
	Type string `json:"type"`
}

// MappingParameter is a stringKeyAttributeMappingSourceValuePair: one
// named argument of a function.
type MappingParameter struct {
	Key   string        `json:"key"`
	Value MappingSource `json:"value"`
}

// AttributeSource maps one source attribute as it is: [name].
func AttributeSource(name string) MappingSource {
	return MappingSource{Expression: "[" + name + "]", Name: name, Parameters: []MappingParameter{}, Type: SourceAttribute}
}

// ToLowerSource maps one source attribute lower-cased with the invariant
// culture. ToLower takes (source, culture); with culture omitted the
// provisioning service writes the expression as ToLower([name], ).
// https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data#tolower
func ToLowerSource(name string) MappingSource {
	return MappingSource{
		Expression: "ToLower([" + name + "], )",
		Name:       "ToLower",
		Parameters: []MappingParameter{{Key: "source", Value: AttributeSource(name)}},
		Type:       SourceFunction,
	}
}

// sameSource reports whether a mapping source read from a schema is src:
// the same type and the same expression, ignoring white space and an
// omitted trailing argument ("ToLower([x])" is "ToLower([x], )").
func sameSource(read map[string]any, src MappingSource) bool {
	norm := func(e string) string {
		e = strings.Join(strings.Fields(e), "")
		return strings.ReplaceAll(e, ",)", ")")
	}
	return str(read["type"]) == src.Type && norm(str(read["expression"])) == norm(src.Expression)
}

// MappingChange says what MapAttribute did to the schema.
type MappingChange struct {
	// Action is "unchanged", "updated" or "added".
	Action string `json:"action"`
	// Rule and ObjectMapping name where the mapping lives.
	Rule          string `json:"rule"`
	ObjectMapping string `json:"objectMapping"`
	// Before is the previous source expression ("" when added).
	Before string `json:"before"`
	// After is the new source expression.
	After string `json:"after"`
}

// MapAttribute returns schema with the attribute mapping from source (an
// attribute or an expression of the Entra user) to the SCIM attribute target
// (e.g. urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter)
// in every enabled User object mapping, adding it where missing. Everything
// else in schema is kept as read: Graph's PUT replaces the whole schema.
func MapAttribute(schema []byte, source MappingSource, target string) ([]byte, []MappingChange, error) {
	if source.Expression == "" || source.Type == "" {
		return nil, nil, errors.New("mapping source: expression and type are required")
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("reading the synchronization schema: %w", err)
	}
	if err := targetDefined(doc, target); err != nil {
		return nil, nil, err
	}
	rules, _ := doc["synchronizationRules"].([]any)
	var changes []MappingChange
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		mappings, _ := rule["objectMappings"].([]any)
		for _, m := range mappings {
			om, _ := m.(map[string]any)
			if om["sourceObjectName"] != "User" || om["enabled"] == false {
				continue
			}
			ch := MappingChange{Rule: str(rule["name"]), ObjectMapping: str(om["name"]), After: source.Expression}
			attrs, _ := om["attributeMappings"].([]any)
			found := false
			for _, a := range attrs {
				am, _ := a.(map[string]any)
				if am["targetAttributeName"] != target {
					continue
				}
				found = true
				read, _ := am["source"].(map[string]any)
				ch.Before = str(read["expression"])
				if sameSource(read, source) {
					ch.Action = "unchanged"
					break
				}
				am["source"] = source
				ch.Action = "updated"
			}
			if !found {
				om["attributeMappings"] = append(attrs, map[string]any{
					"defaultValue":            nil,
					"exportMissingReferences": false,
					"flowBehavior":            "FlowWhenChanged",
					"flowType":                "Always",
					"matchingPriority":        json.Number("0"),
					"source":                  source,
					"targetAttributeName":     target,
				})
				ch.Action = "added"
			}
			changes = append(changes, ch)
		}
	}
	if len(changes) == 0 {
		return nil, nil, errors.New("the synchronization schema has no enabled User object mapping")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, nil, fmt.Errorf("writing the synchronization schema: %w", err)
	}
	return buf.Bytes(), changes, nil
}

// targetDefined checks that the target directory of the schema defines the
// SCIM attribute; a mapping to an undefined attribute is refused by Graph
// with an unhelpful error.
func targetDefined(doc map[string]any, target string) error {
	dirs, _ := doc["directories"].([]any)
	for _, d := range dirs {
		dir, _ := d.(map[string]any)
		objs, _ := dir["objects"].([]any)
		for _, o := range objs {
			obj, _ := o.(map[string]any)
			attrs, _ := obj["attributes"].([]any)
			for _, a := range attrs {
				if attr, _ := a.(map[string]any); attr["name"] == target {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("no directory of the synchronization schema defines %s", target)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
