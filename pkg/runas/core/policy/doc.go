// Package policy builds the IAM and Organizations policy documents ssm-runas
// emits, from typed statements and never by string concatenation: the SCP
// that locks the Session Manager preferences document, and the bucket policy
// that lets every account of the organization read the writer's code.
//
// Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// SCPs: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
package policy
