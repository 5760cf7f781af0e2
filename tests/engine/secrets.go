package engine

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// The fakes of the domain controller's secrets: KMS keys and their
// policies, Secrets Manager secrets, their versions and resource policies.
// Secrets Manager refuses a version or a policy for a secret that does not
// exist, KMS refuses a policy for a key that does not exist or one that
// would lock the account out of the key, and the values the provider marks
// Sensitive come back as secrets.

// Resource type tokens of the domain controller's secrets.
const (
	typeKMSKey        = "aws:kms/key:Key"
	typeKMSKeyPolicy  = "aws:kms/keyPolicy:KeyPolicy"
	typeSecret        = "aws:secretsmanager/secret:Secret"
	typeSecretVersion = "aws:secretsmanager/secretVersion:SecretVersion"
	typeSecretPolicy  = "aws:secretsmanager/secretPolicy:SecretPolicy"
)

// secretNamePrefixPattern is the provider's validSecretNamePrefix.
var secretNamePrefixPattern = regexp.MustCompile(`^[0-9A-Za-z/_+=.@-]+$`)

func init() {
	schemas[typeKMSKey] = resourceSchema{
		replaceOnChanges: []string{"customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"},
		computedInputs:   []string{"description", "multiRegion", "policy", "rotationPeriodInDays"},
		defaults: map[string]any{"bypassPolicyLockoutSafetyCheck": false, "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
			"enableKeyRotation": false, "isEnabled": true, "keyUsage": "ENCRYPT_DECRYPT"},
		source: tfAWS + "kms/key.go",
	}
	schemas[typeKMSKeyPolicy] = resourceSchema{
		// key_id is Required and not ForceNew; the policy is put again.
		defaults: map[string]any{"bypassPolicyLockoutSafetyCheck": false},
		source:   tfAWS + "kms/key_policy.go",
	}
	schemas[typeSecret] = resourceSchema{
		replaceOnChanges: []string{"name", "namePrefix"},
		computedInputs:   []string{"name", "namePrefix", "policy", "replicas"},
		defaults:         map[string]any{"forceOverwriteReplicaSecret": false, "recoveryWindowInDays": 30.0},
		source:           tfAWS + "secretsmanager/secret.go",
	}
	schemas[typeSecretVersion] = resourceSchema{
		// The value is ForceNew: a new value is a new version.
		replaceOnChanges: []string{"secretBinary", "secretId", "secretString", "secretStringWoVersion"},
		computedInputs:   []string{"versionStages"},
		source:           tfAWS + "secretsmanager/secret_version.go",
	}
	schemas[typeSecretPolicy] = resourceSchema{
		replaceOnChanges: []string{"secretArn"},
		source:           tfAWS + "secretsmanager/secret_policy.go",
	}

	handlers[typeKMSKey] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			v := plain(in["deletionWindowInDays"])
			return failIf(v.IsNumber() && (v.NumberValue() < 7 || v.NumberValue() > 30), "deletionWindowInDays",
				"expected deletion_window_in_days to be in the range (7 - 30)")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			policy := str(in, "policy")
			if policy == "" {
				policy = defaultKeyPolicy(c.account)
			} else if err := keyPolicyRefusal(c.account, policy, in); err != nil {
				return "", nil, nil, err
			}
			id := w.uuid()
			outs := withDefaults(typeKMSKey, in)
			outs = with(outs, "keyId", id, "arn", fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", c.region, c.account, id),
				"policy", policy, "multiRegion", false)
			if str(in, "description") == "" {
				outs["description"] = resource.NewStringProperty("")
			}
			if e := plain(outs["enableKeyRotation"]); e.IsBool() && e.BoolValue() {
				if _, set := in["rotationPeriodInDays"]; !set {
					outs["rotationPeriodInDays"] = resource.NewNumberProperty(365)
				}
			}
			return resource.ID(id), outs, nil, nil
		},
	}
	handlers[typeKMSKeyPolicy] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			p, ok := known(in, "policy")
			return failIf(ok && !json.Valid([]byte(p)), "policy", "\"policy\" contains an invalid JSON")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			key, err := w.keyOf(c, str(in, "keyId"))
			if err != nil {
				return "", nil, nil, err
			}
			if err := keyPolicyRefusal(c.account, str(in, "policy"), in); err != nil {
				return "", nil, nil, err
			}
			key.outputs["policy"] = resource.NewStringProperty(str(in, "policy"))
			outs := withDefaults(typeKMSKeyPolicy, in)
			return resource.ID(str(key.outputs, "keyId")), outs, nil, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			key, err := w.keyOf(c, str(in, "keyId"))
			if err != nil {
				return nil, err
			}
			if err := keyPolicyRefusal(c.account, str(in, "policy"), in); err != nil {
				return nil, err
			}
			key.outputs["policy"] = resource.NewStringProperty(str(in, "policy"))
			return withDefaults(typeKMSKeyPolicy, in), nil
		},
	}
	handlers[typeSecret] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			if v := plain(in["recoveryWindowInDays"]); v.IsNumber() && v.NumberValue() != 0 && (v.NumberValue() < 7 || v.NumberValue() > 30) {
				return failIf(true, "recoveryWindowInDays", "expected recovery_window_in_days to be in the range (7 - 30) or 0")
			}
			p, ok := known(in, "namePrefix")
			return failIf(ok && p != "" && !secretNamePrefixPattern.MatchString(p), "namePrefix",
				"must contain only alphanumeric characters and the characters /_+=.@-")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if k := str(in, "kmsKeyId"); k != "" {
				if _, err := w.keyOf(c, k); err != nil {
					return "", nil, nil, err
				}
			}
			name := str(in, "name")
			if name == "" {
				// create.Name: the prefix and a 26-character unique suffix.
				w.seq++
				name = str(in, "namePrefix") + fmt.Sprintf("20260101000000%012d", w.seq)
			}
			arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", c.region, c.account, name, w.hex(6))
			outs := withDefaults(typeSecret, in)
			outs = with(outs, "name", name, "arn", arn, "policy", "", "replicas", []any{})
			if _, set := in["namePrefix"]; !set {
				outs["namePrefix"] = resource.NewStringProperty("")
			}
			return resource.ID(arn), outs, []string{"secret|" + c.account + "|" + c.region + "|" + name}, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			if k := str(in, "kmsKeyId"); k != "" {
				if _, err := w.keyOf(c, k); err != nil {
					return nil, err
				}
			}
			outs := withDefaults(typeSecret, in)
			carryComputed(outs, r)
			return outs, nil
		},
		remove: func(w *World, r *record) error {
			// Deleting the secret deletes its versions and its policy.
			arn := str(r.outputs, "arn")
			for k, o := range w.records {
				if (o.typ == typeSecretVersion && str(o.outputs, "arn") == arn) || (o.typ == typeSecretPolicy && str(o.outputs, "secretArn") == arn) {
					w.release(o)
					delete(w.records, k)
				}
			}
			return nil
		},
	}
	handlers[typeSecretVersion] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			secret, err := w.secretOf(c, str(in, "secretId"))
			if err != nil {
				return "", nil, nil, err
			}
			version := w.uuid()
			// A new version takes AWSCURRENT from the one before.
			for _, o := range w.ofType(typeSecretVersion, c) {
				if str(o.outputs, "arn") == str(secret.outputs, "arn") {
					o.outputs["versionStages"] = resource.NewPropertyValue([]any{"AWSPREVIOUS"})
				}
			}
			outs := with(in, "arn", str(secret.outputs, "arn"), "versionId", version, "versionStages", []any{"AWSCURRENT"},
				"hasSecretStringWo", false)
			// secret_string and secret_binary are Sensitive.
			for _, k := range []resource.PropertyKey{"secretString", "secretBinary"} {
				if v, ok := outs[k]; ok && !v.IsSecret() {
					outs[k] = resource.MakeSecret(v)
				}
			}
			return resource.ID(str(in, "secretId") + "|" + version), outs, nil, nil
		},
	}
	handlers[typeSecretPolicy] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			p, ok := known(in, "policy")
			return failIf(ok && !json.Valid([]byte(p)), "policy", "\"policy\" contains an invalid JSON")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			secret, err := w.secretOf(c, str(in, "secretArn"))
			if err != nil {
				return "", nil, nil, err
			}
			if err := publicPolicyRefusal(in); err != nil {
				return "", nil, nil, err
			}
			arn := str(secret.outputs, "arn")
			// PutResourcePolicy replaces the secret's policy: no conflict.
			return resource.ID(arn), in.Copy(), nil, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			if _, err := w.secretOf(c, str(in, "secretArn")); err != nil {
				return nil, err
			}
			if err := publicPolicyRefusal(in); err != nil {
				return nil, err
			}
			return in.Copy(), nil
		},
	}
}

// defaultKeyPolicy is the key policy KMS gives a key created without one:
// the account administers it through IAM.
func defaultKeyPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// policyStatement is the part of an IAM policy statement the fakes read.
type policyStatement struct {
	Effect    string
	Principal any
	Action    any
	Condition map[string]map[string]any
}

func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func statementsOf(policy string) ([]policyStatement, error) {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, err
	}
	var many []policyStatement
	if err := json.Unmarshal(doc.Statement, &many); err == nil {
		return many, nil
	}
	var one policyStatement
	if err := json.Unmarshal(doc.Statement, &one); err != nil {
		return nil, err
	}
	return []policyStatement{one}, nil
}

func awsPrincipals(p any) []string {
	switch p := p.(type) {
	case string:
		return []string{p}
	case map[string]any:
		return stringsOf(p["AWS"])
	}
	return nil
}

// keyPolicyRefusal is KMS's policy lockout safety check: unless bypassed,
// the new policy must still let the account (the caller's) put the key
// policy.
func keyPolicyRefusal(account, policy string, in resource.PropertyMap) error {
	if b := plain(in["bypassPolicyLockoutSafetyCheck"]); b.IsBool() && b.BoolValue() {
		return nil
	}
	stmts, err := statementsOf(policy)
	if err != nil {
		return fmt.Errorf("MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals or is not valid JSON: %w", err)
	}
	root := "arn:aws:iam::" + account + ":root"
	for _, s := range stmts {
		if s.Effect != "Allow" || len(s.Condition) > 0 {
			continue
		}
		if !contains(awsPrincipals(s.Principal), root) && !contains(awsPrincipals(s.Principal), account) {
			continue
		}
		actions := stringsOf(s.Action)
		if contains(actions, "kms:*") || contains(actions, "kms:PutKeyPolicy") {
			return nil
		}
	}
	return fmt.Errorf("MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy in the future")
}

// publicPolicyRefusal is Secrets Manager's block_public_policy check, for
// the one case certain to be public: a wildcard principal with no
// condition at all.
func publicPolicyRefusal(in resource.PropertyMap) error {
	if b := plain(in["blockPublicPolicy"]); !b.IsBool() || !b.BoolValue() {
		return nil
	}
	stmts, err := statementsOf(str(in, "policy"))
	if err != nil {
		return fmt.Errorf("MalformedPolicyDocumentException: %w", err)
	}
	for _, s := range stmts {
		if s.Effect == "Allow" && contains(awsPrincipals(s.Principal), "*") && len(s.Condition) == 0 {
			return fmt.Errorf("PublicPolicyException: This resource policy will grant public access to the secret")
		}
	}
	return nil
}

// keyOf finds a KMS key by id or ARN in the provider's account and region.
func (w *World) keyOf(c providerConfig, idOrARN string) (*record, error) {
	for _, k := range w.ofType(typeKMSKey, c) {
		if str(k.outputs, "keyId") == idOrARN || str(k.outputs, "arn") == idOrARN {
			return k, nil
		}
	}
	return nil, fmt.Errorf("NotFoundException: Key '%s' does not exist", idOrARN)
}

// secretOf finds a secret by ARN or name in the provider's account and
// region.
func (w *World) secretOf(c providerConfig, idOrName string) (*record, error) {
	for _, s := range w.ofType(typeSecret, c) {
		if str(s.outputs, "arn") == idOrName || str(s.outputs, "name") == idOrName {
			return s, nil
		}
	}
	return nil, fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret")
}

// SecretValues returns the current value (AWSCURRENT) of every secret, by
// the secret's name: what GetSecretValue answers.
func (w *World) SecretValues() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]string{}
	for _, v := range w.records {
		if v.typ != typeSecretVersion || !contains(strs(v.outputs["versionStages"]), "AWSCURRENT") {
			continue
		}
		for _, s := range w.records {
			if s.typ == typeSecret && str(s.outputs, "arn") == str(v.outputs, "arn") {
				out[str(s.outputs, "name")] = str(v.outputs, "secretString")
			}
		}
	}
	return out
}

// SecretARNs returns the ARNs of the secrets that exist, sorted.
func (w *World) SecretARNs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.records {
		if s.typ == typeSecret {
			out = append(out, str(s.outputs, "arn"))
		}
	}
	sort.Strings(out)
	return out
}
