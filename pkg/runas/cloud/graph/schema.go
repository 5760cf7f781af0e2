package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MappingChange says what MapAttribute did to the schema.
type MappingChange struct {
	// Action is "unchanged", "updated" or "added".
	Action string
	// Rule and ObjectMapping name where the mapping lives.
	Rule, ObjectMapping string
	// Before is the previous source expression ("" when added).
	Before string
	// After is the new source expression.
	After string
}

// MapAttribute returns schema with the attribute mapping from the Entra user
// attribute source (e.g. extensionAttribute1) to the SCIM attribute target
// (e.g. urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter)
// in every enabled User object mapping, adding it where missing. Everything
// else in schema is kept as read: Graph's PUT replaces the whole schema.
func MapAttribute(schema []byte, source, target string) ([]byte, []MappingChange, error) {
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
	expression := "[" + source + "]"
	var changes []MappingChange
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		mappings, _ := rule["objectMappings"].([]any)
		for _, m := range mappings {
			om, _ := m.(map[string]any)
			if om["sourceObjectName"] != "User" || om["enabled"] == false {
				continue
			}
			ch := MappingChange{Rule: str(rule["name"]), ObjectMapping: str(om["name"]), After: expression}
			attrs, _ := om["attributeMappings"].([]any)
			found := false
			for _, a := range attrs {
				am, _ := a.(map[string]any)
				if am["targetAttributeName"] != target {
					continue
				}
				found = true
				src, _ := am["source"].(map[string]any)
				ch.Before = str(src["expression"])
				if ch.Before == expression && src["type"] == "Attribute" {
					ch.Action = "unchanged"
					break
				}
				am["source"] = attributeSource(source)
				ch.Action = "updated"
			}
			if !found {
				om["attributeMappings"] = append(attrs, map[string]any{
					"defaultValue":            nil,
					"exportMissingReferences": false,
					"flowBehavior":            "FlowWhenChanged",
					"flowType":                "Always",
					"matchingPriority":        json.Number("0"),
					"source":                  attributeSource(source),
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

func attributeSource(name string) map[string]any {
	return map[string]any{"expression": "[" + name + "]", "name": name, "parameters": []any{}, "type": "Attribute"}
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
