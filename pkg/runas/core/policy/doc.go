// Package policy builds the IAM and Organizations policy documents ssm-runas
// emits, from typed statements and never by string concatenation: the
// permission-set policy that lets people start sessions only with an
// acceptable Run As value, document and region; the guardrail SCP that locks
// the Session Manager preferences document and closes the ways around it;
// and the bucket policy that lets every account of the organization read the
// writer's code. Their arguments come from the configuration through
// settings.Config.PermissionSetPolicyArgs and GuardrailSCPArgs.
//
// Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// Policy evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// SCPs: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
package policy
