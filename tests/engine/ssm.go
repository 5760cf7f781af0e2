package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// The fakes of the SSM resources the domain-controller program deploys:
// the bootstrap's status parameter, the demo host's join document and its
// association. SSM refuses a parameter under the reserved aws/ssm prefixes
// or one that exists, a document name that exists, content that is not
// JSON, an association with a document that does not exist, and deleting
// a document an association still runs.

// Resource type tokens of the SSM resources.
const (
	typeSSMParameter   = "aws:ssm/parameter:Parameter"
	typeSSMDocument    = "aws:ssm/document:Document"
	typeSSMAssociation = "aws:ssm/association:Association"
)

var (
	// ssm_document name and ssm_association association_name.
	ssmNamePattern = regexp.MustCompile(`^[0-9A-Za-z_.-]{3,128}$`)
	// PutParameter refuses names under these prefixes (case-insensitive).
	reservedParameterPrefix = regexp.MustCompile(`(?i)^/?(aws|ssm)`)
)

func init() {
	schemas[typeSSMParameter] = resourceSchema{
		// type is Required and updated in place; a tier downgrade from
		// Advanced to Standard replaces (CustomizeDiff, not used here).
		replaceOnChanges: []string{"dataType", "name"},
		computedInputs:   []string{"arn", "dataType", "insecureValue", "keyId", "tier", "value"},
		source:           tfAWS + "ssm/parameter.go",
	}
	schemas[typeSSMDocument] = resourceSchema{
		// content, document_type and the rest are updated in place (a new
		// document version made the default).
		replaceOnChanges: []string{"name"},
		defaults:         map[string]any{"documentFormat": "JSON"},
		source:           tfAWS + "ssm/document.go",
	}
	schemas[typeSSMAssociation] = resourceSchema{
		replaceOnChanges: []string{"instanceId", "name"},
		computedInputs:   []string{"documentVersion", "parameters", "targets"},
		defaults:         map[string]any{"applyOnlyAtCronInterval": false},
		source:           tfAWS + "ssm/association.go",
	}

	handlers[typeSSMParameter] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			t, ok := known(in, "type")
			return failIf(ok && t != "String" && t != "StringList" && t != "SecureString", "type",
				fmt.Sprintf("expected type to be one of [String StringList SecureString], got %s", t))
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			if reservedParameterPrefix.MatchString(name) {
				return "", nil, nil, fmt.Errorf("ValidationException: Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)")
			}
			if strings.Count(name, "/") > 15 {
				return "", nil, nil, fmt.Errorf("HierarchyLevelLimitExceededException: the parameter hierarchy of %s has more than 15 levels", name)
			}
			if _, exists := w.unique[parameterKey(c, name)]; exists {
				if o := plain(in["overwrite"]); !o.IsBool() || !o.BoolValue() {
					return "", nil, nil, fmt.Errorf("ParameterAlreadyExists: The parameter already exists. To overwrite this value, set the overwrite option in the request to true")
				}
			}
			arn := fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", c.region, c.account, strings.TrimPrefix(name, "/"))
			outs := with(in, "arn", arn, "version", 1.0, "tier", "Standard", "dataType", "text", "insecureValue", "",
				"keyId", "", "hasValueWo", false)
			if t := str(in, "tier"); t != "" {
				outs["tier"] = resource.NewStringProperty(t)
			}
			// value is Sensitive.
			if v, ok := outs["value"]; ok && !v.IsSecret() {
				outs["value"] = resource.MakeSecret(v)
			}
			return resource.ID(name), outs, []string{parameterKey(c, name)}, nil
		},
	}
	handlers[typeSSMDocument] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "name")
			return failIf(ok && !ssmNamePattern.MatchString(name), "name",
				"must contain only alphanumeric, underscore, hyphen, or period characters (3-128)")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			lower := strings.ToLower(name)
			if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "amazon") || strings.HasPrefix(lower, "amzn") {
				return "", nil, nil, fmt.Errorf("ValidationException: document names beginning with aws, amazon or amzn are reserved (%s)", name)
			}
			outs, err := documentOutputs(c, in, 1)
			if err != nil {
				return "", nil, nil, err
			}
			return resource.ID(name), outs, []string{"ssm-document|" + c.account + "|" + c.region + "|" + name}, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			latest, _ := strconv.Atoi(str(r.outputs, "latestVersion"))
			if str(in, "content") != str(r.outputs, "content") {
				latest++
			}
			return documentOutputs(c, in, latest)
		},
		remove: func(w *World, r *record) error {
			for _, a := range w.records {
				if a.typ == typeSSMAssociation && a.account == r.account && a.region == r.region && str(a.outputs, "name") == str(r.outputs, "name") {
					return fmt.Errorf("AssociatedInstances: You must disassociate a document from all instances before you can delete it")
				}
			}
			return nil
		},
	}
	handlers[typeSSMAssociation] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "associationName")
			if ok && name != "" && !ssmNamePattern.MatchString(name) {
				return failIf(true, "associationName", "must contain only alphanumeric, underscore, hyphen, or period characters")
			}
			if t, ok := in["targets"]; ok && !t.ContainsUnknowns() && len(arrayOf(t)) > 5 {
				return failIf(true, "targets", "attribute supports 5 item maximum")
			}
			return nil
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if err := w.documentExists(c, str(in, "name")); err != nil {
				return "", nil, nil, err
			}
			id := w.uuid()
			outs := withDefaults(typeSSMAssociation, in)
			outs = with(outs, "associationId", id, "arn", fmt.Sprintf("arn:aws:ssm:%s:%s:association/%s", c.region, c.account, id))
			if _, set := in["documentVersion"]; !set {
				outs["documentVersion"] = resource.NewStringProperty("$DEFAULT")
			}
			if _, set := in["parameters"]; !set {
				outs["parameters"] = resource.NewObjectProperty(resource.PropertyMap{})
			}
			return resource.ID(id), outs, nil, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			if err := w.documentExists(c, str(in, "name")); err != nil {
				return nil, err
			}
			outs := withDefaults(typeSSMAssociation, in)
			carryComputed(outs, r)
			return outs, nil
		},
	}
}

func parameterKey(c providerConfig, name string) string {
	return "ssm-parameter|" + c.account + "|" + c.region + "|" + name
}

// documentExists is CreateAssociation's check of the document it runs:
// one of the account's, or one AWS publishes (AWS-...).
func (w *World) documentExists(c providerConfig, name string) error {
	if strings.HasPrefix(name, "AWS-") || strings.HasPrefix(name, "arn:") {
		return nil
	}
	for _, d := range w.ofType(typeSSMDocument, c) {
		if str(d.outputs, "name") == name {
			return nil
		}
	}
	return fmt.Errorf("InvalidDocument: Document %s does not exist in account %s, region %s", name, c.account, c.region)
}

// documentOutputs is what DescribeDocument reports of a document with its
// latest version the default.
func documentOutputs(c providerConfig, in resource.PropertyMap, version int) (resource.PropertyMap, error) {
	content := str(in, "content")
	var doc struct {
		SchemaVersion string `json:"schemaVersion"`
		Description   string `json:"description"`
	}
	if format := str(in, "documentFormat"); format == "" || format == "JSON" {
		if err := json.Unmarshal([]byte(content), &doc); err != nil {
			return nil, fmt.Errorf("InvalidDocumentContent: the content is not valid JSON: %w", err)
		}
	}
	sum := sha256.Sum256([]byte(content))
	v := strconv.Itoa(version)
	outs := withDefaults(typeSSMDocument, in)
	return with(outs, "arn", fmt.Sprintf("arn:aws:ssm:%s:%s:document/%s", c.region, c.account, str(in, "name")),
		"createdDate", "2026-01-01T00:00:00Z", "defaultVersion", v, "documentVersion", v, "latestVersion", v,
		"hash", hex.EncodeToString(sum[:]), "hashType", "Sha256", "owner", c.account, "status", "Active",
		"schemaVersion", doc.SchemaVersion, "description", doc.Description, "platformTypes", []any{"Linux", "MacOS"},
		"parameters", []any{}), nil
}
