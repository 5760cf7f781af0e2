// Package broker is the session broker of the per-permission-set model and
// its client.
//
// The broker (a Lambda behind a function URL or API Gateway with AWS_IAM
// authorization, cmd/ssm-runas-broker) takes the caller from the request
// context AWS authenticated, never from the body; decides with
// rules.Rules.Decide; assumes the session role in the caller's own account
// with the session tag SSMSessionRunAs set to the Linux user of the
// caller's permission set and SourceIdentity set to the person; starts the
// session with it; returns SessionId, StreamUrl and TokenValue; and writes
// one JSON log line per decision. SourceIdentity stays on the role session
// and CloudTrail records it with every call the session makes, StartSession
// included, so the person is named in CloudTrail although the broker made
// the call.
//
// The client (RequestSession, Connect) signs the request with the caller's
// own credentials (SigV4) and runs session-manager-plugin with the session
// exactly as `aws ssm start-session` does (NewPluginInvocation), so the data
// channel goes from the plugin to the agent and the broker is control plane
// only.
//
// Function URL payloads: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
// Function URL access control: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
// AssumeRole (Tags, SourceIdentity): https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
// Source identity in CloudTrail: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
// StartSession: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartSession.html
// The AWS CLI's plugin invocation: awscli/customizations/sessionmanager.py
package broker
