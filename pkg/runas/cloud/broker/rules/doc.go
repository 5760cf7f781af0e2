// Package rules is the session broker's authorization rule, with no AWS
// calls in it: who is asking (an Identity Center role session, parsed from
// the ARN the function URL or API Gateway authenticated), whether the
// request is allowed, and as which Linux user the session opens. The Lambda
// (pkg/runas/cloud/broker), `runas explain` and the tests all call Decide.
//
// Identity Center role names:
// https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html
// Role session ARNs: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
// Source identity rules: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
package rules
