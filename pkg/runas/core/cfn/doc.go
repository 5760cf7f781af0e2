// Package cfn builds the CloudFormation template the StackSet deploys into
// every member account and region (and the management-account stacks use):
// the preferences writer Lambda, its least-privilege role under a fixed
// name, its log group, and the custom resource that carries the desired
// Session Manager preferences, then any further Section (the role-account
// association; package member adds the sections other packages define).
// MemberTemplate is the one builder of that template; MemberArgsFor maps a
// configuration to its arguments, for `runas stackset template` and the
// stacks alike. The template is built from typed structs and rendered as
// JSON; nothing is assembled from strings. The custom resource's properties
// are the writer's wire contract, in package writerprops.
//
// A Go Lambda cannot be inline in a template, so its code comes from an
// artifact bucket in the stack's own region, readable by the organization.
//
// Template anatomy: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html
// Custom resources: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources.html
package cfn
