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
// problem is reported at once: unknown fields, wrong types and broken rules.
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
	doc := root.Content[0]
	var errs field.List
	checkShape(doc, reflect.TypeOf(Config{}), "", &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	var c Config
	if err := doc.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkShape walks the YAML tree against the Go type and reports unknown
// fields and values of the wrong kind, each with its path and line.
func checkShape(n *yaml.Node, t reflect.Type, p field.Path, errs *field.List) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
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
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				errs.Add(field.Required(p.Child(k.Value), fmt.Sprintf("unknown field (line %d); known fields: %s",
					k.Line, strings.Join(sortedKeys(fields), ", "))))
				continue
			}
			checkShape(v, f.Type, p.Child(k.Value), errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			errs.Add(at("must be a list"))
			return
		}
		for i, item := range n.Content {
			checkShape(item, t.Elem(), p.Index(i), errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			errs.Add(at("must be a mapping"))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkShape(n.Content[i+1], t.Elem(), p.Key(n.Content[i].Value), errs)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			errs.Add(field.Invalid(p, n.Value, fmt.Sprintf("must be true or false (line %d)", n.Line)))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			errs.Add(field.Invalid(p, n.Value, fmt.Sprintf("must be a whole number (line %d)", n.Line)))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			errs.Add(at("must be a single value, not a list or mapping"))
		}
	}
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
