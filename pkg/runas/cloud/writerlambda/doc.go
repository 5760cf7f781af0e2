// Package customresource serves the CloudFormation custom resource
// `Custom::SessionManagerPreferences` with the preferences writer. It is the
// body of the member-account Lambda, kept free of the Lambda runtime so it
// can be tested directly.
//
// Create and Update upsert SSM-SessionManagerRunShell. The physical resource
// id records what the account held before the first write (no document, or
// its default version), because CloudFormation hands the physical id, and
// nothing else of ours, to the Delete that must restore it. Every request
// gets an answer at its response URL: success, a failure with its reason, a
// recovered panic, or a timeout reported before the Lambda is cut off.
//
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
package writerlambda
