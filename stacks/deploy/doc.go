// Package deploy holds what every stack program shares: the inputs
// stacks/main.go resolves for a program (the writer's zip, the SCIM token,
// the stack's aws settings, the layers to deploy), the explicit aws
// providers a program creates once and hands to every component, the
// lookups that must not fail on a fresh organization, and the deployment
// order a new organization follows.
//
// Explicit providers and stack configuration:
// https://www.pulumi.com/docs/iac/concepts/resources/providers/#explicit-provider-configuration
package deploy
