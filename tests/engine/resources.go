package engine

import (
	"crypto/sha1" //nolint:gosec // a certificate thumbprint is a SHA-1 by definition
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Validation the providers run in Check (so preview fails too), from the
// same schemas as schema.go.
var (
	// ssoadmin account_assignment principal_id, identitystore group_id.
	principalIDPattern = regexp.MustCompile(`^([0-9a-f]{10}-|)[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	// verify.ValidAccountID.
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	// stack_set_instance deployment_targets.organizational_unit_ids.
	ouIDPattern = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// The Entra gallery application "AWS IAM Identity Center (successor to AWS
// Single Sign-On)" and what its template instantiates.
const (
	galleryTemplateID = "21ed01d2-ec13-4e9e-86c1-cd546719ebc4"
	// The synchronization template its service principal lists.
	gallerySyncTemplate = "aWSSingleSignon"
)

// galleryAppRoles are the template's app roles: display names "User" and
// "msiam_access", neither with a value.
var galleryAppRoles = []string{"User", "msiam_access"}

// serviceLinkedStackSetRole is what DescribeStackSet reports as
// AdministrationRoleARN for a SERVICE_MANAGED StackSet.
func serviceLinkedStackSetRole(account string) string {
	return "arn:aws:iam::" + account + ":role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin"
}

func failIf(bad bool, prop, reason string) []plugin.CheckFailure {
	if !bad {
		return nil
	}
	return []plugin.CheckFailure{{Property: resource.PropertyKey(prop), Reason: reason}}
}

// known reports a string input that is set and known.
func known(in resource.PropertyMap, key string) (string, bool) {
	v, ok := in[resource.PropertyKey(key)]
	if !ok || v.ContainsUnknowns() {
		return "", false
	}
	s := str(in, key)
	return s, true
}

func with(in resource.PropertyMap, kv ...any) resource.PropertyMap {
	out := in.Copy()
	for i := 0; i+1 < len(kv); i += 2 {
		out[resource.PropertyKey(kv[i].(string))] = resource.NewPropertyValue(kv[i+1])
	}
	return out
}

func requireBucket(w *World, in resource.PropertyMap) (*bucketState, error) {
	b := w.buckets[str(in, "bucket")]
	if b == nil {
		return nil, fmt.Errorf("NoSuchBucket: The specified bucket does not exist (%s)", str(in, "bucket"))
	}
	return b, nil
}

func permissionSetOf(w *World, in resource.PropertyMap) (*record, error) {
	arn := str(in, "permissionSetArn")
	r := w.findByOutput(typePermissionSet, "arn", arn)
	if r == nil {
		return nil, fmt.Errorf("ResourceNotFoundException: Could not find PermissionSet with PermissionSetArn %s", arn)
	}
	return r, nil
}

func servicePrincipalOf(w *World, objectID string) (*record, error) {
	r := w.findByOutput(typeServicePrincipal, "objectId", objectID)
	if r == nil {
		return nil, fmt.Errorf("Service principal with object ID %q was not found", objectID)
	}
	return r, nil
}

func (w *World) appByApplicationID(id string) *record {
	return w.findByOutput(typeAppFromTemplate, "applicationId", id)
}

// spAppRoles returns the service principal's app roles as the provider
// reports them (value "" where Entra has none) and the app_role_ids map,
// which the provider keys by value and so leaves without these roles.
func spAppRoles(ids map[string]string) (resource.PropertyValue, resource.PropertyValue) {
	var roles []resource.PropertyValue
	for _, name := range galleryAppRoles {
		roles = append(roles, resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{
			"allowedMemberTypes": []any{"User"},
			"description":        name,
			"displayName":        name,
			"enabled":            true,
			"id":                 ids[name],
			"value":              "",
		})))
	}
	return resource.NewArrayProperty(roles), resource.NewObjectProperty(resource.PropertyMap{})
}

var handlers = map[string]handler{
	typeStack: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			id := fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", c.region, c.account, name, w.uuid())
			return resource.ID(id), with(in, "outputs", map[string]any{}), []string{"stack|" + c.account + "|" + c.region + "|" + name}, nil
		},
	},
	typeStackSet: {
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "name")
			return failIf(ok && !regexp.MustCompile(`^[A-Za-z][0-9A-Za-z-]{0,127}$`).MatchString(name), "name",
				"must begin with an alphabetic character and contain only alphanumeric and hyphen characters")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "name")
			outs := stackSetOutputs(w, c, in, fmt.Sprintf("%s:%s", name, w.uuid()))
			return resource.ID(name), outs, []string{"stackset|" + c.account + "|" + c.region + "|" + name}, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			return stackSetOutputs(w, c, in, str(r.outputs, "stackSetId")), nil
		},
		remove: func(w *World, r *record) error {
			for k, i := range w.records {
				if k.typ == typeStackSetInstance && k.account == r.account && str(i.outputs, "stackSetName") == str(r.outputs, "name") {
					return fmt.Errorf("StackSetNotEmptyException: StackSet %s still has stack instances (%s)", str(r.outputs, "name"), k.id)
				}
			}
			return nil
		},
	},
	typeStackSetInstance: {
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			dt := object(in, "deploymentTargets")
			for _, ou := range strs(dt["organizationalUnitIds"]) {
				if !ouIDPattern.MatchString(ou) {
					return failIf(true, "deploymentTargets", fmt.Sprintf("organizational_unit_ids %q must match %s", ou, ouIDPattern))
				}
			}
			return nil
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "stackSetName")
			if w.findByOutput(typeStackSet, "name", name) == nil {
				return "", nil, nil, fmt.Errorf("StackSetNotFoundException: StackSet %s not found", name)
			}
			region := str(in, "region")
			if region == "" {
				region = c.region
			}
			ous := strs(object(in, "deploymentTargets")["organizationalUnitIds"])
			var summaries []any
			for _, ou := range ous {
				accts, ok := w.OUs[ou]
				if !ok {
					return "", nil, nil, fmt.Errorf("ValidationError: organizational unit %s is not part of organization %s", ou, w.OrganizationID)
				}
				for _, a := range accts {
					w.memberStacks[a.ID+"/"+region]++
					summaries = append(summaries, map[string]any{
						"accountId": a.ID, "organizationalUnitId": ou,
						"stackId": fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/StackSet-%s-%s/%s", region, a.ID, name, w.hex(8), w.uuid()),
					})
				}
			}
			target := strings.Join(ous, "/")
			if target == "" {
				target = str(in, "accountId")
			}
			outs := with(in, "region", region, "stackInstanceSummaries", summaries)
			return resource.ID(name + "," + target + "," + region), outs, nil, nil
		},
		remove: func(w *World, r *record) error {
			if retain := plain(r.inputs["retainStack"]); retain.IsBool() && retain.BoolValue() {
				return nil
			}
			for _, s := range plain(r.outputs["stackInstanceSummaries"]).ArrayValue() {
				w.memberStacks[str(s.ObjectValue(), "accountId")+"/"+str(r.outputs, "region")]--
			}
			return nil
		},
	},
	typeBucket: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			name := str(in, "bucket")
			if name == "" {
				name = "terraform-" + w.hex(26)
			}
			w.buckets[name] = &bucketState{}
			outs := with(in, "bucket", name, "arn", "arn:aws:s3:::"+name, "region", c.region,
				"bucketDomainName", name+".s3.amazonaws.com",
				"bucketRegionalDomainName", name+".s3."+c.region+".amazonaws.com",
				"hostedZoneId", "Z1BKCTXD74EZPE")
			return resource.ID(name), outs, []string{"bucket|" + name}, nil
		},
		remove: func(w *World, r *record) error {
			b := w.buckets[str(r.outputs, "bucket")]
			force := plain(r.inputs["forceDestroy"])
			if b != nil && b.objects+b.versions > 0 && !(force.IsBool() && force.BoolValue()) {
				return fmt.Errorf("BucketNotEmpty: The bucket you tried to delete is not empty. You must delete all versions in the bucket")
			}
			delete(w.buckets, str(r.outputs, "bucket"))
			return nil
		},
	},
	typeBucketOwnership:    bucketSubresource(nil),
	typeBucketPublicAccess: bucketSubresource(nil),
	typeBucketEncryption:   bucketSubresource(nil),
	typeBucketPolicy:       slow(bucketSubresource(nil), 200*time.Millisecond),
	typeBucketVersioning: bucketSubresource(func(b *bucketState, in resource.PropertyMap) {
		b.versioned = str(object(in, "versioningConfiguration"), "status") == "Enabled"
	}),
	typeBucketObject: {
		latency: 100 * time.Millisecond,
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			b, err := requireBucket(w, in)
			if err != nil {
				return "", nil, nil, err
			}
			b.objects++
			outs := with(in, "arn", "arn:aws:s3:::"+str(in, "bucket")+"/"+str(in, "key"), "etag", w.hex(32),
				"storageClass", "STANDARD", "serverSideEncryption", "AES256", "bucketKeyEnabled", false)
			if str(in, "contentType") == "" {
				outs["contentType"] = resource.NewStringProperty("binary/octet-stream")
			}
			if b.versioned {
				outs["versionId"] = resource.NewStringProperty(w.hex(32))
			}
			return resource.ID(str(in, "key")), outs, nil, nil
		},
		remove: func(w *World, r *record) error {
			if b := w.buckets[str(r.outputs, "bucket")]; b != nil {
				b.objects--
				if b.versioned {
					// The version stays, and a delete marker is added.
					b.versions += 2
				}
			}
			return nil
		},
	},
	typeOrgPolicy: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			id := "p-" + w.hex(8)
			typ := str(in, "type")
			if typ == "" {
				typ = "SERVICE_CONTROL_POLICY"
			}
			outs := with(in, "arn", fmt.Sprintf("arn:aws:organizations::%s:policy/%s/%s/%s", c.account, w.OrganizationID, strings.ToLower(typ), id),
				"awsManaged", false)
			return resource.ID(id), outs, []string{"policy|" + typ + "|" + str(in, "name")}, nil
		},
	},
	typeOrgPolicyAttachment: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			policy, target := str(in, "policyId"), str(in, "targetId")
			if _, r := w.find(typeOrgPolicy, resource.ID(policy)); r == nil {
				return "", nil, nil, fmt.Errorf("PolicyNotFoundException: We can't find a policy with the PolicyId that you specified (%s)", policy)
			}
			if !w.knownTarget(target) {
				return "", nil, nil, fmt.Errorf("TargetNotFoundException: We can't find a root, OU, or account with the TargetId that you specified (%s)", target)
			}
			return resource.ID(target + ":" + policy), in.Copy(), []string{"policy-attachment|" + policy + "|" + target}, nil
		},
	},
	typePermissionSet: {
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "name")
			return failIf(ok && (len(name) < 1 || len(name) > 32), "name", "expected length of name to be in the range (1 - 32)")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			inst := str(in, "instanceArn")
			arn := fmt.Sprintf("arn:aws:sso:::permissionSet/%s/ps-%s", inst[strings.LastIndex(inst, "/")+1:], w.hex(16))
			outs := with(in, "arn", arn, "createdDate", "2026-01-01T00:00:00Z")
			return resource.ID(arn + "," + inst), outs, []string{"permission-set|" + inst + "|" + str(in, "name")}, nil
		},
	},
	typeInlinePolicy: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if _, err := permissionSetOf(w, in); err != nil {
				return "", nil, nil, err
			}
			return resource.ID(str(in, "permissionSetArn") + "," + str(in, "instanceArn")), in.Copy(), nil, nil
		},
	},
	typeManagedPolicy: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if _, err := permissionSetOf(w, in); err != nil {
				return "", nil, nil, err
			}
			arn := str(in, "managedPolicyArn")
			if !strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
				return "", nil, nil, fmt.Errorf("ValidationException: %s is not an AWS managed policy; customer managed policies are attached by name (customer managed policy reference)", arn)
			}
			ps := str(in, "permissionSetArn")
			outs := with(in, "managedPolicyName", arn[strings.LastIndex(arn, "/")+1:])
			return resource.ID(arn + "," + ps + "," + str(in, "instanceArn")), outs, []string{"managed-policy|" + ps + "|" + arn}, nil
		},
	},
	typeCustomerPolicy: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if _, err := permissionSetOf(w, in); err != nil {
				return "", nil, nil, err
			}
			ref := object(in, "customerManagedPolicyReference")
			name, path := str(ref, "name"), str(ref, "path")
			if path == "" {
				path = "/"
			}
			ps := str(in, "permissionSetArn")
			id := strings.Join([]string{name, path, ps, str(in, "instanceArn")}, ",")
			return resource.ID(id), in.Copy(), []string{"customer-policy|" + ps + "|" + path + name}, nil
		},
	},
	typeAccountAssignment: {
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			if p, ok := known(in, "principalId"); ok && !principalIDPattern.MatchString(p) {
				return failIf(true, "principalId", fmt.Sprintf("principal_id %q must match %s", p, principalIDPattern))
			}
			if t, ok := known(in, "targetId"); ok && !accountIDPattern.MatchString(t) {
				return failIf(true, "targetId", fmt.Sprintf("target_id %q is not a 12-digit AWS account id", t))
			}
			return nil
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if _, err := permissionSetOf(w, in); err != nil {
				return "", nil, nil, err
			}
			principal := str(in, "principalId")
			found := false
			for _, id := range w.groups {
				found = found || id == principal
			}
			if !found {
				return "", nil, nil, fmt.Errorf("ResourceNotFoundException: principal %s of type %s does not exist in identity store %s", principal, str(in, "principalType"), w.IdentityStoreID)
			}
			if !w.knownTarget(str(in, "targetId")) {
				return "", nil, nil, fmt.Errorf("ValidationException: account %s is not a member of organization %s", str(in, "targetId"), w.OrganizationID)
			}
			parts := []string{principal, str(in, "principalType"), str(in, "targetId"), str(in, "targetType"), str(in, "permissionSetArn"), str(in, "instanceArn")}
			id := strings.Join(parts, ",")
			return resource.ID(id), in.Copy(), []string{"assignment|" + id}, nil
		},
	},
	typeAccessControlAttrs: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			inst := str(in, "instanceArn")
			return resource.ID(inst), with(in, "status", "ENABLED", "statusReason", ""), []string{"abac|" + inst}, nil
		},
	},
	typeAppFromTemplate: {
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			t, ok := known(in, "templateId")
			return failIf(ok && !uuidPattern.MatchString(t), "templateId", "expected template_id to be a valid UUID")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if str(in, "templateId") != galleryTemplateID {
				return "", nil, nil, fmt.Errorf("Request_ResourceNotFound: application template %s not found", str(in, "templateId"))
			}
			obj, client, sp := w.uuid(), w.uuid(), w.uuid()
			ids := map[string]string{}
			for _, r := range galleryAppRoles {
				ids[r] = w.uuid()
			}
			roles, byValue := spAppRoles(ids)
			// The template instantiates the service principal too; keep it
			// so ServicePrincipal(useExisting) and lookups find it.
			w.records[recordKey{typ: typeServicePrincipal, account: c.account, region: c.region, id: resource.ID(sp)}] = &record{typ: typeServicePrincipal, outputs: resource.PropertyMap{
				"objectId": resource.NewStringProperty(sp), "clientId": resource.NewStringProperty(client),
				"displayName": resource.NewStringProperty(str(in, "displayName")),
				"appRoles":    roles, "appRoleIds": byValue,
				"synchronizationTemplates": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty(gallerySyncTemplate)}),
			}}
			outs := with(in, "applicationId", "/applications/"+obj, "applicationObjectId", obj,
				"servicePrincipalId", "/servicePrincipals/"+sp, "servicePrincipalObjectId", sp)
			w.clientIDs[obj] = client
			return resource.ID("/applicationTemplates/" + galleryTemplateID + "/instantiate/" + obj + "/" + sp), outs, nil, nil
		},
		remove: func(w *World, r *record) error {
			if k, sp := w.find(typeServicePrincipal, resource.ID(str(r.outputs, "servicePrincipalObjectId"))); sp != nil {
				delete(w.records, k)
			}
			return nil
		},
	},
	typeServicePrincipal: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			client := str(in, "clientId")
			existing := w.findByOutput(typeServicePrincipal, "clientId", client)
			if existing == nil {
				return "", nil, nil, fmt.Errorf("could not find application with client ID %q", client)
			}
			use := plain(in["useExisting"])
			if !(use.IsBool() && use.BoolValue()) {
				return "", nil, nil, fmt.Errorf("An existing service principal was found for client ID %q; set use_existing to manage it", client)
			}
			sp := str(existing.outputs, "objectId")
			// The resource takes over the template's service principal.
			if k, _ := w.find(typeServicePrincipal, resource.ID(sp)); k.id != "" {
				delete(w.records, k)
			}
			outs := in.Copy()
			for k, v := range existing.outputs {
				if _, set := outs[k]; !set {
					outs[k] = v
				}
			}
			return resource.ID(sp), outs, nil, nil
		},
	},
	typeIdentifierURI: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			app := str(in, "applicationId")
			if w.appByApplicationID(app) == nil {
				return "", nil, nil, fmt.Errorf("application %s was not found", app)
			}
			uri := str(in, "identifierUri")
			id := app + "/identifierUris/" + base64.StdEncoding.EncodeToString([]byte(uri))
			return resource.ID(id), in.Copy(), []string{"identifier-uri|" + uri}, nil
		},
	},
	typeRedirectURIs: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			app := str(in, "applicationId")
			if w.appByApplicationID(app) == nil {
				return "", nil, nil, fmt.Errorf("application %s was not found", app)
			}
			return resource.ID(app + "/redirectUris/" + str(in, "type")), in.Copy(), []string{"redirect-uris|" + app + "|" + str(in, "type")}, nil
		},
	},
	typeSigningCertificate: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			sp := str(in, "servicePrincipalId")
			if _, err := servicePrincipalOf(w, sp); err != nil {
				return "", nil, nil, err
			}
			key := w.uuid()
			sum := sha1.Sum([]byte(key)) //nolint:gosec // a thumbprint, not a security check
			outs := with(in, "keyId", key, "thumbprint", strings.ToUpper(hex.EncodeToString(sum[:])),
				"startDate", "2026-01-01T00:00:00Z", "value", "-----BEGIN CERTIFICATE-----\n"+base64.StdEncoding.EncodeToString(sum[:])+"\n-----END CERTIFICATE-----")
			if str(in, "endDate") == "" {
				outs["endDate"] = resource.NewStringProperty("2029-01-01T00:00:00Z")
			}
			if str(in, "displayName") == "" {
				outs["displayName"] = resource.NewStringProperty("CN=Microsoft Azure Federated SSO Certificate")
			}
			return resource.ID(sp + "/tokenSigningCertificate/" + key), outs, nil, nil
		},
	},
	typeSynchronizationSecret: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			sp := str(in, "servicePrincipalId")
			if _, err := servicePrincipalOf(w, sp); err != nil {
				return "", nil, nil, err
			}
			return resource.ID(sp + "/synchronization/secrets/0"), in.Copy(), nil, nil
		},
	},
	typeSynchronizationJob: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			sp := str(in, "servicePrincipalId")
			r, err := servicePrincipalOf(w, sp)
			if err != nil {
				return "", nil, nil, err
			}
			tpl := str(in, "templateId")
			if !contains(strs(r.outputs["synchronizationTemplates"]), tpl) {
				return "", nil, nil, fmt.Errorf("BadRequest: the service principal has no synchronization template %q (it lists %v)", tpl, strs(r.outputs["synchronizationTemplates"]))
			}
			job := fmt.Sprintf("%s.%s.%s", tpl, w.hex(32), w.hex(32))
			outs := with(in, "schedule", []any{map[string]any{"expiration": "", "interval": "PT40M", "state": "Active"}})
			return resource.ID(sp + "/job/" + job), outs, nil, nil
		},
	},
	typeAppRoleAssignment: {
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			sp := str(in, "resourceObjectId")
			r, err := servicePrincipalOf(w, sp)
			if err != nil {
				return "", nil, nil, err
			}
			role := str(in, "appRoleId")
			valid := role == "00000000-0000-0000-0000-000000000000"
			for _, ar := range plain(r.outputs["appRoles"]).ArrayValue() {
				valid = valid || str(ar.ObjectValue(), "id") == role
			}
			if !valid {
				return "", nil, nil, fmt.Errorf("Permission being assigned was not found on application (app role %q)", role)
			}
			principal := str(in, "principalObjectId")
			found := false
			for _, id := range w.entraGroups {
				found = found || id == principal
			}
			if !found {
				return "", nil, nil, fmt.Errorf("Resource '%s' does not exist or one of its queried reference-property objects are not present", principal)
			}
			id := sp + "/appRoleAssignment/" + w.hex(16)
			outs := with(in, "principalType", "Group", "resourceDisplayName", str(r.outputs, "displayName"))
			return resource.ID(id), outs, []string{"app-role-assignment|" + sp + "|" + role + "|" + principal}, nil
		},
	},
}

// slow gives a handler a create latency longer than an upload's, so that a
// stack that does not wait for the bucket policy visibly runs first.
func slow(h handler, d time.Duration) handler {
	h.latency = d
	return h
}

func bucketSubresource(apply func(*bucketState, resource.PropertyMap)) handler {
	return handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			b, err := requireBucket(w, in)
			if err != nil {
				return "", nil, nil, err
			}
			if apply != nil {
				apply(b, in)
			}
			return resource.ID(str(in, "bucket")), in.Copy(), nil, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			b, err := requireBucket(w, in)
			if err != nil {
				return nil, err
			}
			if apply != nil {
				apply(b, in)
			}
			return in.Copy(), nil
		},
	}
}

func stackSetOutputs(w *World, c providerConfig, in resource.PropertyMap, stackSetID string) resource.PropertyMap {
	outs := with(in,
		"arn", fmt.Sprintf("arn:aws:cloudformation:%s:%s:stackset/%s", c.region, c.account, stackSetID),
		"stackSetId", stackSetID)
	if str(in, "permissionModel") == "SERVICE_MANAGED" && str(in, "administrationRoleArn") == "" {
		outs["administrationRoleArn"] = resource.NewStringProperty(serviceLinkedStackSetRole(c.account))
	}
	return outs
}
