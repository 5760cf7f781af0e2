// Package explain models, without any AWS call, which Linux user a person's
// Session Manager shell opens as, following the documented order and the
// policies ssm-runas emits:
//
//  1. the SSMSessionRunAs value: in the per-role model computed from the
//     person's role groups by precedence (what the attribute sync writes);
//     in the per-user models the person's own directory attribute, lower-cased
//     by the provisioning mapping (ProvisionedValue); otherwise the value
//     Identity Center holds, exactly as stored; per-user, also whether anyone
//     else holds the same value (they would share one account on every host);
//  2. Identity Center refuses sign-in when the attribute is multi-valued,
//     and otherwise puts the value on the role session as a session tag;
//  3. the permission set must be assigned to one of the person's groups;
//  4. IAM: the permission-set policy and the guardrail SCP, from the same
//     arguments the stack deploys (settings.Config.PermissionSetPolicyArgs
//     and GuardrailSCPArgs): the value must be a role user (per-role) and
//     not a reserved account, the region must have the preferences
//     document, and the document must be allowed;
//  5. Run As takes the tag on the calling principal, else the
//     runAsDefaultUser of the document used (the one named at StartSession,
//     else SSM-SessionManagerRunShell); with Run As off the shell opens as
//     ssm-user, and there is no fallback to ssm-user when Run As is on;
//  6. the agent refuses invalid names and root, and the user must exist on
//     the host ("failed to start pty since RunAs user X does not exist"):
//     a role account the host accounts association creates, or, per-user,
//     a directory account SSSD resolves on a joined host (bare, or through
//     the default domain suffix with fully qualified names).
//
// Each step of the trace names the rule (and the policy statement) that
// decided it. internal/iamsim checks the IAM step against a real policy
// evaluator.
//
// https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-run-as.html
package explain
