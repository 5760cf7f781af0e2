package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// invoke answers one provider function from the World.
type invoke func(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error)

// invokes are the provider functions the programs call, answering as the
// real data sources do, "not found" included.
var invokes = map[string]invoke{
	// aws_identitystore_group: GetGroupId by a unique attribute, then
	// DescribeGroup. A group SCIM has not provisioned is not found.
	"aws:identitystore/getGroup:getGroup": func(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error) {
		store := str(args, "identityStoreId")
		if store != w.IdentityStoreID {
			return nil, fmt.Errorf("reading IdentityStore Group (%s): operation error identitystore: GetGroupId, https response error StatusCode: 400, ResourceNotFoundException: IDENTITY_STORE not found", store)
		}
		id := str(args, "groupId")
		if ua := object(object(args, "alternateIdentifier"), "uniqueAttribute"); len(ua) > 0 {
			if path := str(ua, "attributePath"); path != "DisplayName" {
				return nil, fmt.Errorf("reading IdentityStore Group (%s): operation error identitystore: GetGroupId, https response error StatusCode: 400, ValidationException: attribute path %s is not supported", store, path)
			}
			gid, ok := w.groups[str(ua, "attributeValue")]
			if !ok {
				return nil, fmt.Errorf("reading IdentityStore Group (%s): operation error identitystore: GetGroupId, https response error StatusCode: 400, ResourceNotFoundException: GROUP not found", store)
			}
			id = gid
		}
		for name, gid := range w.groups {
			if gid == id {
				return identityStoreGroup(store, name, gid), nil
			}
		}
		return nil, fmt.Errorf("reading IdentityStore Group (%s): couldn't find resource", id)
	},
	// aws_identitystore_groups: every group in the store (none before SCIM).
	"aws:identitystore/getGroups:getGroups": func(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error) {
		store := str(args, "identityStoreId")
		if store != w.IdentityStoreID {
			return nil, fmt.Errorf("reading IdentityStore Groups (%s): ResourceNotFoundException: IDENTITY_STORE not found", store)
		}
		names := make([]string, 0, len(w.groups))
		for n := range w.groups {
			names = append(names, n)
		}
		sort.Strings(names)
		var groups []resource.PropertyValue
		for _, n := range names {
			groups = append(groups, resource.NewObjectProperty(identityStoreGroup(store, n, w.groups[n])))
		}
		return resource.PropertyMap{
			"id":              resource.NewStringProperty(store),
			"identityStoreId": resource.NewStringProperty(store),
			"groups":          resource.NewArrayProperty(groups),
		}, nil
	},
	// aws_organizations_organizational_unit_descendant_accounts.
	"aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts": ouAccounts,
	"aws:organizations/getOrganizationalUnitChildAccounts:getOrganizationalUnitChildAccounts":           ouAccounts,
	// azuread_application: by object id, client id or display name.
	"azuread:index/getApplication:getApplication": func(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error) {
		for _, r := range w.records {
			if r.typ != typeAppFromTemplate {
				continue
			}
			o := r.outputs
			if (str(args, "objectId") != "" && str(args, "objectId") == str(o, "applicationObjectId")) ||
				(str(args, "clientId") != "" && str(args, "clientId") == w.clientIDs[str(o, "applicationObjectId")]) ||
				(str(args, "displayName") != "" && str(args, "displayName") == str(o, "displayName")) {
				client := w.clientIDs[str(o, "applicationObjectId")]
				return resource.NewPropertyMapFromMap(map[string]any{
					"id": "/applications/" + str(o, "applicationObjectId"), "objectId": str(o, "applicationObjectId"),
					"clientId": client, "applicationId": client, "displayName": str(o, "displayName"),
					"identifierUris": identifierURIs(w, "/applications/"+str(o, "applicationObjectId")),
					"appRoleIds":     map[string]any{},
				}), nil
			}
		}
		return nil, fmt.Errorf("Application not found: no application matches %v", plain(resource.NewObjectProperty(args)))
	},
	// azuread_service_principal: app_role_ids is keyed by each role's value
	// and leaves out roles without one.
	"azuread:index/getServicePrincipal:getServicePrincipal": func(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error) {
		for _, r := range w.records {
			if r.typ != typeServicePrincipal {
				continue
			}
			o := r.outputs
			if (str(args, "objectId") != "" && str(args, "objectId") == str(o, "objectId")) ||
				(str(args, "clientId") != "" && str(args, "clientId") == str(o, "clientId")) ||
				(str(args, "displayName") != "" && str(args, "displayName") == str(o, "displayName")) {
				return resource.PropertyMap{
					"id":          resource.NewStringProperty(str(o, "objectId")),
					"objectId":    resource.NewStringProperty(str(o, "objectId")),
					"clientId":    resource.NewStringProperty(str(o, "clientId")),
					"displayName": resource.NewStringProperty(str(o, "displayName")),
					"appRoles":    o["appRoles"],
					"appRoleIds":  o["appRoleIds"],
				}, nil
			}
		}
		if id := str(args, "objectId"); id != "" {
			return nil, fmt.Errorf("Service principal with object ID %q was not found", id)
		}
		return nil, fmt.Errorf("Service principal not found: no service principal matches %v", plain(resource.NewObjectProperty(args)))
	},
	// azuread_group: by display name or object id.
	"azuread:index/getGroup:getGroup": func(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error) {
		name, id := str(args, "displayName"), str(args, "objectId")
		for n, oid := range w.entraGroups {
			if (name != "" && n == name) || (id != "" && oid == id) {
				return resource.NewPropertyMapFromMap(map[string]any{
					"id": oid, "objectId": oid, "displayName": n, "securityEnabled": true, "mailEnabled": false,
				}), nil
			}
		}
		if name != "" {
			return nil, fmt.Errorf("No group found matching specified filter (displayName eq '%s')", name)
		}
		return nil, fmt.Errorf("No group found with object ID: %q", id)
	},
}

func identityStoreGroup(store, name, id string) resource.PropertyMap {
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": id, "groupId": id, "displayName": name, "description": "", "identityStoreId": store,
		"externalIds": []any{map[string]any{"id": "entra-" + strings.ToLower(name), "issuer": "https://scim.aws.com/"}},
	})
}

func ouAccounts(w *World, c providerConfig, args resource.PropertyMap) (resource.PropertyMap, error) {
	ou := str(args, "parentId")
	accts, ok := w.OUs[ou]
	if !ok {
		return nil, fmt.Errorf("listing Organizations Accounts (%s): ParentNotFoundException: We can't find a root or OU with the ParentId that you specified", ou)
	}
	var list []any
	for _, a := range accts {
		list = append(list, map[string]any{
			"arn":   fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", w.ManagementAccount, w.OrganizationID, a.ID),
			"email": a.Name + "@example.com", "id": a.ID, "name": a.Name, "status": a.Status,
		})
	}
	return resource.NewPropertyMapFromMap(map[string]any{"id": ou, "parentId": ou, "accounts": list}), nil
}

func identifierURIs(w *World, app string) []any {
	var out []any
	for _, r := range w.records {
		if r.typ == typeIdentifierURI && str(r.outputs, "applicationId") == app {
			out = append(out, str(r.outputs, "identifierUri"))
		}
	}
	return out
}
