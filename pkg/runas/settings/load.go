package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
)

// Load reads, defaults and validates the YAML configuration at path. The
// error is a field.List when the file parses but breaks rules.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(data)
	var list field.List
	if err != nil && !errors.As(err, &list) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, err
}

// Parse reads, defaults and validates a configuration given as YAML or JSON
// (the Pulumi config value `ssm-runas:settings` arrives as JSON). Every
// problem is reported at once: unknown fields, duplicate keys, wrong types
// and broken rules; a field with the wrong shape is left out so the rules
// are still checked on everything else.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("config is empty")
		}
		return nil, fmt.Errorf("config is not valid YAML: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, errors.New("config is empty")
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, fmt.Errorf("config is not valid YAML after its first document: %w", err)
	default:
		return nil, fmt.Errorf("config has a second YAML document (line %d, after ---): put the whole configuration in one document", second.Line)
	}
	doc := root.Content[0]
	// Aliases are refused before anything walks the tree: expanded, a few
	// hundred kilobytes of nested aliases become billions of nodes.
	if err := refuseAliases(doc); err != nil {
		return nil, err
	}
	var shape field.List
	checkShape(doc, reflect.TypeOf(Config{}), "", &shape)
	var c Config
	if err := doc.Decode(&c); err != nil {
		if len(shape) > 0 {
			return nil, shape
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	c.applyDefaults()
	errs := append(field.List(nil), shape...)
	var rules field.List
	if err := c.Validate(); err != nil && !errors.As(err, &rules) {
		return nil, err
	}
	for _, e := range rules {
		if !underAny(e.Path, shape) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &c, nil
}

// refuseAliases fails on the first anchor or alias, counting the others.
func refuseAliases(n *yaml.Node) error {
	var first *yaml.Node
	count := 0
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			if first == nil {
				first = n
			}
			count++
			if n.Kind == yaml.AliasNode {
				return // never follow an alias
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	if first == nil {
		return nil
	}
	return fmt.Errorf("config uses YAML anchors or aliases (line %d, %d in all): they are not supported; write the values out", first.Line, count)
}

// underAny reports whether p is one of the paths in list or below one.
func underAny(p field.Path, list field.List) bool {
	for _, e := range list {
		if strings.HasPrefix(e.Rule, duplicateKey) {
			continue // the first value was kept and is checked
		}
		if p == e.Path || strings.HasPrefix(string(p), string(e.Path)+".") || strings.HasPrefix(string(p), string(e.Path)+"[") {
			return true
		}
	}
	return false
}

// checkShape walks the YAML tree against the Go type and reports unknown
// fields, duplicate keys and values of the wrong kind, each with its path
// and line. It removes what it reports from the tree, so the rest decodes
// and its rules can be checked too.
func checkShape(n *yaml.Node, t reflect.Type, p field.Path, errs *field.List) (ok bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return true
	}
	at := func(rule string) *field.Error {
		path := p
		if path == "" {
			path = "(top level)"
		}
		return field.Required(path, fmt.Sprintf("%s (line %d)", rule, n.Line))
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			errs.Add(at("must be a mapping"))
			return false
		}
		fields := yamlFields(t)
		n.Content = checkMapping(n, p, errs, func(k, v *yaml.Node) bool {
			f, known := fields[k.Value]
			if !known {
				errs.Add(field.Required(p.Child(k.Value), fmt.Sprintf("unknown field (line %d); known fields: %s",
					k.Line, strings.Join(sortedKeys(fields), ", "))))
				return false
			}
			return checkShape(v, f.Type, p.Child(k.Value), errs)
		})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			errs.Add(at("must be a list"))
			return false
		}
		kept := n.Content[:0:0]
		for i, item := range n.Content {
			if checkShape(item, t.Elem(), p.Index(i), errs) {
				kept = append(kept, item)
			}
		}
		n.Content = kept
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			errs.Add(at("must be a mapping"))
			return false
		}
		n.Content = checkMapping(n, p, errs, func(k, v *yaml.Node) bool {
			return checkShape(v, t.Elem(), p.Key(k.Value), errs)
		})
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			errs.Add(field.Invalid(p, n.Value, fmt.Sprintf("must be true or false (line %d)", n.Line)))
			return false
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			errs.Add(field.Invalid(p, n.Value, fmt.Sprintf("must be a whole number (line %d)", n.Line)))
			return false
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			errs.Add(at("must be a single value, not a list or mapping"))
			return false
		}
	}
	return true
}

const duplicateKey = "duplicate key"

// checkMapping reports duplicate keys and returns the mapping's content
// without them and without the entries keep refuses.
func checkMapping(n *yaml.Node, p field.Path, errs *field.List, keep func(k, v *yaml.Node) bool) []*yaml.Node {
	firstLine := map[string]int{}
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if line, dup := firstLine[k.Value]; dup {
			path := p.Child(k.Value)
			if p == "" && k.Value == "" {
				path = "(top level)"
			}
			errs.Add(field.Required(path, fmt.Sprintf("%s (line %d; first at line %d)", duplicateKey, k.Line, line)))
			continue
		}
		firstLine[k.Value] = k.Line
		if keep(k, v) {
			out = append(out, k, v)
		}
	}
	return out
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

func sortedKeys(m map[string]reflect.StructField) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
