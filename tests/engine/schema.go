package engine

// What the fake providers know of the real providers' schemas: which input
// properties force a replacement when they change (ForceNew in the
// Terraform schema the Pulumi provider is bridged from), which optional
// inputs the provider computes when the program leaves them out
// (Optional+Computed: leaving them out is no change), and which optional,
// non-computed inputs the service reports on read although the program did
// not set them (they show as a change on every later run).
//
// pulumi-aws v6.83.2 is bridged from terraform-provider-aws v5;
// pulumi-azuread v5.46.0 from terraform-provider-azuread v2.47.0. Every row
// cites the schema it was read from. Property names are the Pulumi
// (camelCase) names of the Terraform attributes.

import "github.com/pulumi/pulumi/sdk/v3/go/common/resource"

// resourceSchema is one resource type's row in the table.
type resourceSchema struct {
	// replaceOnChanges are the inputs marked ForceNew.
	replaceOnChanges []string
	// computedInputs are Optional+Computed inputs: absent means "keep what
	// the provider has".
	computedInputs []string
	// readBackInputs are Optional, non-computed inputs that Read fills in
	// from the service even when the program leaves them out.
	readBackInputs []string
	// defaults are the schema's Default values: an input the program
	// leaves out is planned as its default.
	defaults map[string]any
	// nestedReplace lists, for a block input (an object, or a list of one
	// object), the nested attributes marked ForceNew; a change of another
	// nested attribute updates in place. Nested attributes the program
	// leaves out are Optional+Computed in every row that uses this.
	nestedReplace map[string][]string
	// replaceIf marks an input as replace-on-change only when the
	// condition on the new inputs holds (CustomizeDiff ForceNewIf).
	replaceIf map[string]func(news resource.PropertyMap) bool
	// source is where the row was read.
	source string
}

// Resource type tokens the programs use.
const (
	typeStack                 = "aws:cloudformation/stack:Stack"
	typeStackSet              = "aws:cloudformation/stackSet:StackSet"
	typeStackSetInstance      = "aws:cloudformation/stackSetInstance:StackSetInstance"
	typeBucket                = "aws:s3/bucketV2:BucketV2"
	typeBucketOwnership       = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	typeBucketPublicAccess    = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeBucketVersioning      = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typeBucketEncryption      = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typeBucketPolicy          = "aws:s3/bucketPolicy:BucketPolicy"
	typeBucketObject          = "aws:s3/bucketObjectv2:BucketObjectv2"
	typeOrgPolicy             = "aws:organizations/policy:Policy"
	typeOrgPolicyAttachment   = "aws:organizations/policyAttachment:PolicyAttachment"
	typePermissionSet         = "aws:ssoadmin/permissionSet:PermissionSet"
	typeInlinePolicy          = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
	typeManagedPolicy         = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
	typeCustomerPolicy        = "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"
	typeAccountAssignment     = "aws:ssoadmin/accountAssignment:AccountAssignment"
	typeAccessControlAttrs    = "aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes"
	typeIAMRole               = "aws:iam/role:Role"
	typeIAMRolePolicy         = "aws:iam/rolePolicy:RolePolicy"
	typeIAMRoleAttachment     = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeLambdaFunction        = "aws:lambda/function:Function"
	typeLambdaFunctionURL     = "aws:lambda/functionUrl:FunctionUrl"
	typeLambdaPermission      = "aws:lambda/permission:Permission"
	typeLogGroup              = "aws:cloudwatch/logGroup:LogGroup"
	typeAppFromTemplate       = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
	typeServicePrincipal      = "azuread:index/servicePrincipal:ServicePrincipal"
	typeIdentifierURI         = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri"
	typeRedirectURIs          = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
	typeSigningCertificate    = "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate"
	typeSynchronizationSecret = "azuread:index/synchronizationSecret:SynchronizationSecret"
	typeSynchronizationJob    = "azuread:index/synchronizationJob:SynchronizationJob"
	typeAppRoleAssignment     = "azuread:index/appRoleAssignment:AppRoleAssignment"
)

const (
	tfAWS     = "terraform-provider-aws v5 internal/service/"
	tfAzureAD = "terraform-provider-azuread v2.47.0 internal/services/"
)

// schemas is the table. A resource type missing here is refused by the
// fakes with its name, so a program that starts using a new type fails
// until its row is added from the provider's schema.
var schemas = map[string]resourceSchema{
	typeStack: {
		replaceOnChanges: []string{"name", "disableRollback", "onFailure", "timeoutInMinutes"},
		computedInputs:   []string{"parameters", "policyBody", "templateBody"},
		source:           tfAWS + "cloudformation/stack.go",
	},
	typeStackSet: {
		replaceOnChanges: []string{"name", "autoDeployment"},
		computedInputs:   []string{"executionRoleName", "templateBody"},
		// Read sets administration_role_arn from DescribeStackSet, which
		// reports the service-linked role for SERVICE_MANAGED sets
		// (hashicorp/terraform-provider-aws#23464; Read stops doing so
		// with auto_deployment only from #45992, January 2026, after the
		// provider version pinned here).
		readBackInputs: []string{"administrationRoleArn"},
		source:         tfAWS + "cloudformation/stack_set.go",
	},
	typeStackSetInstance: {
		replaceOnChanges: []string{"accountId", "deploymentTargets", "region", "stackSetName"},
		computedInputs:   []string{"accountId", "region"},
		source:           tfAWS + "cloudformation/stack_set_instance.go",
	},
	typeBucket: {
		replaceOnChanges: []string{"bucket", "bucketPrefix", "objectLockEnabled"},
		computedInputs:   []string{"bucket", "bucketPrefix", "objectLockEnabled"},
		source:           tfAWS + "s3/bucket.go",
	},
	typeBucketOwnership: {
		replaceOnChanges: []string{"bucket"},
		source:           tfAWS + "s3/bucket_ownership_controls.go",
	},
	typeBucketPublicAccess: {
		replaceOnChanges: []string{"bucket"},
		source:           tfAWS + "s3/bucket_public_access_block.go",
	},
	typeBucketVersioning: {
		replaceOnChanges: []string{"bucket", "expectedBucketOwner"},
		source:           tfAWS + "s3/bucket_versioning.go",
	},
	typeBucketEncryption: {
		replaceOnChanges: []string{"bucket", "expectedBucketOwner"},
		source:           tfAWS + "s3/bucket_server_side_encryption_configuration.go",
	},
	typeBucketPolicy: {
		replaceOnChanges: []string{"bucket"},
		source:           tfAWS + "s3/bucket_policy.go",
	},
	typeBucketObject: {
		replaceOnChanges: []string{"bucket", "key"},
		computedInputs: []string{"acl", "bucketKeyEnabled", "contentType", "etag", "kmsKeyId",
			"serverSideEncryption", "storageClass"},
		source: tfAWS + "s3/object.go",
	},
	typeOrgPolicy: {
		replaceOnChanges: []string{"type"},
		source:           tfAWS + "organizations/policy.go",
	},
	typeOrgPolicyAttachment: {
		replaceOnChanges: []string{"policyId", "targetId"},
		source:           tfAWS + "organizations/policy_attachment.go",
	},
	typePermissionSet: {
		replaceOnChanges: []string{"instanceArn", "name"},
		source:           tfAWS + "ssoadmin/permission_set.go",
	},
	typeInlinePolicy: {
		replaceOnChanges: []string{"instanceArn", "permissionSetArn"},
		source:           tfAWS + "ssoadmin/permission_set_inline_policy.go",
	},
	typeManagedPolicy: {
		replaceOnChanges: []string{"instanceArn", "managedPolicyArn", "permissionSetArn"},
		source:           tfAWS + "ssoadmin/managed_policy_attachment.go",
	},
	typeCustomerPolicy: {
		// The resource has no Update: every argument is ForceNew.
		replaceOnChanges: []string{"customerManagedPolicyReference", "instanceArn", "permissionSetArn"},
		source:           tfAWS + "ssoadmin/customer_managed_policy_attachment.go",
	},
	typeAccountAssignment: {
		replaceOnChanges: []string{"instanceArn", "permissionSetArn", "principalId", "principalType", "targetId", "targetType"},
		source:           tfAWS + "ssoadmin/account_assignment.go",
	},
	typeAccessControlAttrs: {
		replaceOnChanges: []string{"instanceArn"},
		source:           tfAWS + "ssoadmin/instance_access_control_attributes.go",
	},
	typeIAMRole: {
		replaceOnChanges: []string{"name", "namePrefix", "path"},
		// Read fills inline_policy and managed_policy_arns from the role's
		// policies (those of aws_iam_role_policy and _attachment too); both
		// are Optional+Computed, so leaving them out is no change.
		computedInputs: []string{"name", "namePrefix", "inlinePolicies", "managedPolicyArns"},
		source:         tfAWS + "iam/role.go",
	},
	typeIAMRolePolicy: {
		replaceOnChanges: []string{"name", "namePrefix", "role"},
		computedInputs:   []string{"name", "namePrefix"},
		source:           tfAWS + "iam/role_policy.go",
	},
	typeIAMRoleAttachment: {
		replaceOnChanges: []string{"policyArn", "role"},
		source:           tfAWS + "iam/role_policy_attachment.go",
	},
	typeLambdaFunction: {
		// function_name is "name" in pulumi-aws.
		replaceOnChanges: []string{"name", "packageType"},
		computedInputs:   []string{"architectures", "ephemeralStorage", "loggingConfig", "sourceCodeHash", "tracingConfig"},
		source:           tfAWS + "lambda/function.go",
	},
	typeLambdaFunctionURL: {
		replaceOnChanges: []string{"functionName", "qualifier"},
		source:           tfAWS + "lambda/function_url.go",
	},
	typeLambdaPermission: {
		// The resource has no Update: every argument is ForceNew.
		// function_name is "function" in pulumi-aws; v6.83.2 has no
		// invoked_via_function_url (later provider versions added it).
		replaceOnChanges: []string{"action", "eventSourceToken", "function", "functionUrlAuthType", "principal", "principalOrgId",
			"qualifier", "sourceAccount", "sourceArn", "statementId", "statementIdPrefix"},
		computedInputs: []string{"statementId", "statementIdPrefix"},
		source:         tfAWS + "lambda/permission.go",
	},
	typeLogGroup: {
		replaceOnChanges: []string{"logGroupClass", "name", "namePrefix"},
		computedInputs:   []string{"logGroupClass", "name", "namePrefix"},
		source:           tfAWS + "logs/group.go",
	},
	typeAppFromTemplate: {
		replaceOnChanges: []string{"templateId"},
		source:           tfAzureAD + "applications/application_from_template_resource.go",
	},
	typeServicePrincipal: {
		replaceOnChanges: []string{"clientId", "applicationId"},
		source:           tfAzureAD + "serviceprincipals/service_principal_resource.go",
	},
	typeIdentifierURI: {
		replaceOnChanges: []string{"applicationId", "identifierUri"},
		source:           tfAzureAD + "applications/application_identifier_uri_resource.go",
	},
	typeRedirectURIs: {
		replaceOnChanges: []string{"applicationId", "type"},
		source:           tfAzureAD + "applications/application_redirect_uris_resource.go",
	},
	typeSigningCertificate: {
		replaceOnChanges: []string{"servicePrincipalId", "displayName", "endDate"},
		computedInputs:   []string{"displayName", "endDate"},
		source:           tfAzureAD + "serviceprincipals/service_principal_token_signing_certificate_resource.go",
	},
	typeSynchronizationSecret: {
		replaceOnChanges: []string{"servicePrincipalId"},
		source:           tfAzureAD + "serviceprincipals/synchronization_secret_resource.go",
	},
	typeSynchronizationJob: {
		replaceOnChanges: []string{"servicePrincipalId", "templateId"},
		source:           tfAzureAD + "serviceprincipals/synchronization_job_resource.go",
	},
	typeAppRoleAssignment: {
		replaceOnChanges: []string{"appRoleId", "principalObjectId", "resourceObjectId"},
		source:           tfAzureAD + "approleassignments/app_role_assignment_resource.go",
	},
}
