// Package writerprops is the wire contract between the member template and
// the preferences writer Lambda: the custom resource's type, logical id and
// properties, the attribute the writer returns, and the environment the
// template gives the function. The template builder (core/cfn) encodes
// with it and the Lambda (cloud/writerlambda) decodes with it, so the two
// cannot drift apart; it depends on nothing but the preferences model, which
// keeps the Lambda small.
//
// CloudFormation passes every resource property to the function verbatim,
// as strings, in the request's ResourceProperties:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
package writerprops
