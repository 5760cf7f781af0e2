// Package naming holds the fixed names that several layers must agree on:
// the template creates the writer's role under one of them, the SCP exempts
// it, the audit looks for it. Changing one is a breaking change for every
// deployed account.
package naming

// WriterFunctionName is the member-account Lambda that upserts the
// preferences document, one per region.
const WriterFunctionName = "ssm-runas-prefs-writer"

// WriterRolePrefix starts the writer's IAM role name. IAM is global per
// account while the StackSet deploys one stack per region, so the role name
// carries the region to keep the stacks from colliding.
const WriterRolePrefix = "ssm-runas-prefs-writer-"

// WriterRoleNamePattern matches the writer's role in every region.
const WriterRoleNamePattern = WriterRolePrefix + "*"

// StackSetExecutionRolePattern matches the roles service-managed StackSets
// create in member accounts (stacksets-exec-<hash>).
//
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html
const StackSetExecutionRolePattern = "stacksets-exec-*"

// WriterArtifactKeyPrefix is the folder of the writer's zips in the artifact buckets.
const WriterArtifactKeyPrefix = "ssm-prefs-writer/"

// ManagementStackName is the stack that configures the management account,
// which the StackSet never reaches.
const ManagementStackName = "ssm-runas-session-preferences"
