// Package brokerpolicy builds the IAM policies of the per-permission-set
// model, from the policy model of core/policy:
//
//   - the session role in every member account: its trust policy lets only
//     the broker's role assume it, and only with the SSMSessionRunAs session
//     tag set to a configured Linux user and a SourceIdentity; its
//     permissions are the permission-set session policy of core/policy for
//     those users, plus a deny of sessions without a SourceIdentity;
//   - the people's permission-set policy: the right to call the broker
//     through its function URL, and a deny of ssm:StartSession that other
//     policies of the permission set cannot override;
//   - the broker's own role and its function URL's resource policy.
//
// Session tags: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
// Source identity: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
// Function URL access: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
// aws:ResourceOrgID: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid
package brokerpolicy
