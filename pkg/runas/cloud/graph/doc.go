// Package graph is the small Microsoft Graph client ssm-runas needs where
// no Pulumi resource exists: the SCIM synchronization template lookup and
// the attribute mapping in the synchronization schema, and reading group
// members and writing their extension attribute for the role sync.
//
// It is plain net/http: a handful of documented endpoints, paging with
// @odata.nextLink (only ever followed to the same host), and retries on
// 429, 503 and 504 honouring Retry-After within limits: a single wait over
// Options.MaxWait fails the call at once (Graph has asked for 100000 s), the
// waits of one call share Options.RetryBudget, no wait outlasts the
// context's deadline, and Options.OnWait hears of each wait. Tokens come
// from a TokenSource; the CLI adapts azidentity to it.
//
// The schema edit is a pure function over the JSON Graph returns: PUT
// replaces the whole schema, so MapAttribute changes one mapping in what was
// read and keeps every other field as it was. Mapping sources are the
// documented attributeMappingSource shapes: an Attribute, or a Function such
// as ToLower([onPremisesSamAccountName], ).
//
// Synchronization API: https://learn.microsoft.com/en-us/graph/api/resources/synchronization-overview
// Throttling: https://learn.microsoft.com/en-us/graph/throttling
// Mapping sources: https://learn.microsoft.com/en-us/graph/api/resources/synchronization-attributemappingsource
package graph
