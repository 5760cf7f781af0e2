// Package membersection adds the broker's session role to the member
// template (core/cfn's registered sections): one role per account and
// region, <broker.sessionRoleName>-<region>, trusted only by the broker's
// role, with the policies of core/brokerpolicy. Importing the package
// registers the section; `runas stackset template` and the stack programs
// must both import it so they build the same template.
//
// AWS::IAM::Role: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
package membersection
