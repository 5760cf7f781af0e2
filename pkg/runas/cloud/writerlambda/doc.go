// Package writerlambda serves the CloudFormation custom resource
// `Custom::SessionManagerPreferences` with the preferences writer. It is the
// body of the member-account Lambda, kept free of the Lambda runtime so it
// can be tested directly.
//
// Create and Update upsert SSM-SessionManagerRunShell (ssmprefs.Upsert).
// The physical resource id records what the account held before the first
// write (no document, or its default version), because CloudFormation hands
// the physical id, and nothing else of ours, to the Delete that must restore
// it. Every request whose response URL is CloudFormation's gets an answer
// there: success, a failure with its reason, a recovered panic, or a
// timeout reported before the Lambda is cut off.
//
// The function can be invoked by anyone allowed lambda:InvokeFunction, so
// it serves only requests that come from CloudFormation for its own stack
// (Self, from the SSM_RUNAS_STACK_ID environment variable): the request must
// name that stack, the stack's own function and resource, and a response URL
// in CloudFormation's response bucket of the stack's region; and before any
// write, CloudFormation's own record of the resource (DescribeStackResource)
// must show it in progress for that request type with the physical id the
// request carries. The restore point a Delete acts on is therefore the one
// CloudFormation recorded from an earlier answer of this writer, never one a
// caller made up. Requests with any other response URL are not answered.
//
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-vpce-bucketnames.html
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResource.html
package writerlambda
