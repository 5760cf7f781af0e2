package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// The fakes of IAM roles and Lambda functions the session broker uses, and
// the check CloudFormation's IAM makes on the roles a template creates.

// logRetentionDays are the retentions CloudWatch Logs accepts (0: never
// expire), as the provider validates them.
var logRetentionDays = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// maxEnvironmentBytes is Lambda's limit on a function's environment.
const maxEnvironmentBytes = 4096

// environmentRefusal is Lambda's answer to a function whose environment
// variables, written as one JSON object (the "String measured" of its
// message), take more than 4 KB.
func environmentRefusal(in resource.PropertyMap) error {
	env, ok := in["environment"]
	if !ok || !env.IsObject() {
		return nil
	}
	vars, ok := env.ObjectValue()["variables"]
	if !ok || !vars.IsObject() {
		return nil
	}
	measured := map[string]string{}
	for k, v := range vars.ObjectValue() {
		if v.IsString() {
			measured[string(k)] = v.StringValue()
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(measured); err != nil {
		return err
	}
	if s := strings.TrimSuffix(buf.String(), "\n"); len(s) > maxEnvironmentBytes {
		return fmt.Errorf("InvalidParameterValueException: Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", s)
	}
	return nil
}

// roleARNPattern is an IAM role ARN: account and name (with its path).
var roleARNPattern = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(.+)$`)

// roleByARN returns the role with that ARN, in any account.
func (w *World) roleByARN(arn string) *record { return w.findByOutput(typeIAMRole, "arn", arn) }

// roleByName returns the role named name in account.
func (w *World) roleByName(account, name string) *record {
	for _, r := range w.records {
		if r.typ == typeIAMRole && r.account == account && str(r.outputs, "name") == name {
			return r
		}
	}
	return nil
}

// functionByName returns the function named name in account and region.
func (w *World) functionByName(account, region, name string) *record {
	for _, r := range w.records {
		if r.typ == typeLambdaFunction && r.account == account && r.region == region && str(r.outputs, "name") == name {
			return r
		}
	}
	return nil
}

// templateRefusal is what CloudFormation reports when a stack of body
// cannot be created or updated in account and region: an IAM role whose
// trust policy names a role that does not exist (IAM checks principals when
// it stores the policy: MalformedPolicyDocument "Invalid principal in
// policy"), or a Lambda permission on a function that does not exist.
func (w *World) templateRefusal(account, region, body string) error {
	if body == "" {
		return nil // a template by URL, or none: nothing here to check
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(body), &tpl); err != nil {
		return fmt.Errorf("ValidationError: Template format error: %v", err)
	}
	for logical, r := range tpl.Resources {
		switch r.Type {
		case "AWS::IAM::Role":
			var p struct {
				AssumeRolePolicyDocument struct {
					Statement []struct {
						Principal map[string]any
					}
				}
			}
			if err := json.Unmarshal(r.Properties, &p); err != nil {
				continue // a principal of "*" or an intrinsic: nothing to check
			}
			for _, st := range p.AssumeRolePolicyDocument.Statement {
				var arns []string
				switch v := st.Principal["AWS"].(type) {
				case string:
					arns = []string{v}
				case []any:
					for _, a := range v {
						if s, ok := a.(string); ok {
							arns = append(arns, s)
						}
					}
				}
				for _, arn := range arns {
					if roleARNPattern.MatchString(arn) && w.roleByARN(arn) == nil {
						return fmt.Errorf("CREATE_FAILED %s: Invalid principal in policy: \"AWS\":\"%s\" (Service: Iam, Status Code: 400, Error Code: MalformedPolicyDocument)", logical, arn)
					}
				}
			}
		case "AWS::Lambda::Permission":
			var p struct{ FunctionName string }
			if err := json.Unmarshal(r.Properties, &p); err == nil && p.FunctionName != "" && w.functionByName(account, region, p.FunctionName) == nil {
				return fmt.Errorf("CREATE_FAILED %s: Function not found: arn:aws:lambda:%s:%s:function:%s (Service: Lambda, Status Code: 404, Error Code: ResourceNotFoundException)", logical, region, account, p.FunctionName)
			}
		}
	}
	return nil
}

func init() {
	handlers[typeIAMRole] = handler{
		// Longer than the writer's upload and bucket policy together, so that
		// a stack that does not wait for a role it trusts (only for the
		// writer's code) visibly runs first and fails.
		latency: time.Second,
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "name")
			return failIf(ok && len(name) > 64, "name", "expected length of name to be in the range (1 - 64)")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			if name == "" {
				name = "terraform-" + w.hex(26)
			}
			path := str(in, "path")
			if path == "" {
				path = "/"
			}
			outs := with(in, "name", name, "path", path, "arn", "arn:aws:iam::"+c.account+":role"+path+name,
				"uniqueId", "AROA"+strings.ToUpper(w.hex(17)), "createDate", "2026-01-01T00:00:00Z", "maxSessionDuration", 3600.0)
			return resource.ID(name), outs, []string{"iam-role|" + c.account + "|" + strings.ToLower(name)}, nil
		},
		// IAM refuses to delete a role an instance profile still holds.
		remove: func(w *World, r *record) error {
			for _, p := range w.records {
				if p.typ == typeInstanceProfile && p.account == r.account && str(p.outputs, "role") == str(r.outputs, "name") {
					return fmt.Errorf("DeleteConflict: Cannot delete entity, must remove roles from instance profile first")
				}
			}
			return nil
		},
	}
	handlers[typeIAMRolePolicy] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			role, name := str(in, "role"), str(in, "name")
			if w.roleByName(c.account, role) == nil {
				return "", nil, nil, fmt.Errorf("NoSuchEntity: The role with name %s cannot be found", role)
			}
			if name == "" {
				name = "terraform-" + w.hex(26)
			}
			return resource.ID(role + ":" + name), with(in, "name", name), []string{"iam-role-policy|" + c.account + "|" + role + "|" + name}, nil
		},
	}
	handlers[typeIAMRoleAttachment] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			role, arn := str(in, "role"), str(in, "policyArn")
			if w.roleByName(c.account, role) == nil {
				return "", nil, nil, fmt.Errorf("NoSuchEntity: The role with name %s cannot be found", role)
			}
			if !strings.HasPrefix(arn, "arn:aws:iam::") {
				return "", nil, nil, fmt.Errorf("InvalidInput: ARN %s is not valid", arn)
			}
			return resource.ID(role + "-" + w.hex(26)), in.Copy(), []string{"iam-role-attachment|" + c.account + "|" + role + "|" + arn}, nil
		},
	}
	handlers[typeLambdaFunction] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "name")
			return failIf(ok && !regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`).MatchString(name), "name", "invalid value for function_name (must be valid function name or function ARN)")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			role := w.roleByARN(str(in, "role"))
			if role == nil || !strings.Contains(str(role.outputs, "assumeRolePolicy"), "lambda.amazonaws.com") {
				return "", nil, nil, fmt.Errorf("InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda")
			}
			if err := environmentRefusal(in); err != nil {
				return "", nil, nil, err
			}
			if code, ok := in["code"]; !ok || !code.IsArchive() {
				return "", nil, nil, fmt.Errorf("InvalidParameterValueException: Uploaded file must be a non-empty zip")
			}
			arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.region, c.account, name)
			outs := with(in, "arn", arn, "qualifiedArn", arn+":$LATEST", "version", "$LATEST",
				"invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", c.region, arn),
				"lastModified", "2026-01-01T00:00:00.000+0000", "sourceCodeSize", 4096.0)
			if str(in, "sourceCodeHash") == "" {
				outs["sourceCodeHash"] = resource.NewStringProperty(w.hex(43) + "=")
			}
			if _, ok := in["architectures"]; !ok {
				outs["architectures"] = resource.NewPropertyValue([]any{"x86_64"})
			}
			return resource.ID(name), outs, []string{"lambda-function|" + c.account + "|" + c.region + "|" + name}, nil
		},
	}
	function := handlers[typeLambdaFunction]
	function.update = func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
		if err := environmentRefusal(in); err != nil {
			return nil, err
		}
		outs := in.Copy()
		carryComputed(outs, r)
		return outs, nil
	}
	handlers[typeLambdaFunction] = function
	handlers[typeLambdaFunctionURL] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			fn := str(in, "functionName")
			f := w.functionByName(c.account, c.region, fn)
			if f == nil {
				return "", nil, nil, fmt.Errorf("ResourceNotFoundException: Function not found: arn:aws:lambda:%s:%s:function:%s", c.region, c.account, fn)
			}
			id := strings.ToLower(w.hex(32))
			outs := with(in, "functionArn", str(f.outputs, "arn"), "urlId", id,
				"functionUrl", "https://"+id+".lambda-url."+c.region+".on.aws/")
			return resource.ID(fn), outs, []string{"lambda-function-url|" + c.account + "|" + c.region + "|" + fn}, nil
		},
	}
	handlers[typeLambdaPermission] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			fn := str(in, "function")
			if w.functionByName(c.account, c.region, fn) == nil {
				return "", nil, nil, fmt.Errorf("ResourceNotFoundException: Function not found: arn:aws:lambda:%s:%s:function:%s", c.region, c.account, fn)
			}
			sid := str(in, "statementId")
			if sid == "" {
				sid = "terraform-" + w.hex(26)
			}
			// The provider's id is the statement id alone (it reads the
			// function from the state); the World keys records by id, so
			// the function is part of it here: a statement id is unique
			// per function, not per region.
			return resource.ID(fn + "/" + sid), with(in, "statementId", sid), []string{"lambda-permission|" + c.account + "|" + c.region + "|" + fn + "|" + sid}, nil
		},
	}

	handlers[typeLogGroup] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			v, ok := in["retentionInDays"]
			return failIf(ok && v.IsNumber() && !slices.Contains(logRetentionDays, int(v.NumberValue())),
				"retentionInDays", fmt.Sprintf("expected retention_in_days to be one of %v", logRetentionDays))
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			if name == "" {
				name = "terraform-" + w.hex(26)
			}
			if _, ok := in["retentionInDays"]; !ok {
				in = with(in, "retentionInDays", 0.0)
			}
			outs := with(in, "name", name, "logGroupClass", "STANDARD",
				"arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", c.region, c.account, name))
			return resource.ID(name), outs, []string{"log-group|" + c.account + "|" + c.region + "|" + name}, nil
		},
	}

	// CloudFormation creates what a template holds: a stack or a StackSet
	// instance fails when IAM or Lambda refuse a resource of it.
	stack := handlers[typeStack]
	create := stack.create
	stack.create = func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
		if err := w.templateRefusal(c.account, c.region, str(in, "templateBody")); err != nil {
			return "", nil, nil, err
		}
		return create(w, c, in)
	}
	stack.update = func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
		if err := w.templateRefusal(c.account, c.region, str(in, "templateBody")); err != nil {
			return nil, err
		}
		outs := in.Copy()
		carryComputed(outs, r)
		return outs, nil
	}
	handlers[typeStack] = stack

	instance := handlers[typeStackSetInstance]
	createInstance := instance.create
	instance.create = func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
		if set := w.findByOutput(typeStackSet, "name", str(in, "stackSetName")); set != nil {
			region := str(in, "region")
			if region == "" {
				region = c.region
			}
			if err := w.templateRefusal(c.account, region, str(set.outputs, "templateBody")); err != nil {
				return "", nil, nil, fmt.Errorf("StackSet operation failed in %s: %w", region, err)
			}
		}
		return createInstance(w, c, in)
	}
	handlers[typeStackSetInstance] = instance

	set := handlers[typeStackSet]
	updateSet := set.update
	set.update = func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
		if err := w.templateRefusal(c.account, c.region, str(in, "templateBody")); err != nil {
			return nil, fmt.Errorf("StackSet operation failed: %w", err)
		}
		return updateSet(w, c, r, in)
	}
	handlers[typeStackSet] = set
}
