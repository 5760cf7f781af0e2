package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

// Event is the request the broker receives: a Lambda function URL request
// or an API Gateway HTTP API request (payload format 2.0, IAM identity in
// requestContext.authorizer.iam), or an API Gateway REST API proxy request
// (payload format 1.0, IAM identity in requestContext.identity). Only the
// fields the broker reads are modelled.
//
// https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
type Event struct {
	Version         string         `json:"version,omitempty"`
	HTTPMethod      string         `json:"httpMethod,omitempty"`
	RequestContext  RequestContext `json:"requestContext"`
	Body            string         `json:"body,omitempty"`
	IsBase64Encoded bool           `json:"isBase64Encoded"`
}

// RequestContext holds who signed the request, as AWS verified it.
type RequestContext struct {
	AccountID  string      `json:"accountId,omitempty"`
	RequestID  string      `json:"requestId,omitempty"`
	Authorizer *Authorizer `json:"authorizer,omitempty"`
	// Identity is the REST API (payload 1.0) caller.
	Identity *RESTIdentity `json:"identity,omitempty"`
	// HTTP is the payload 2.0 request line.
	HTTP *HTTPDescription `json:"http,omitempty"`
}

// Authorizer carries the IAM identity of a payload 2.0 request.
type Authorizer struct {
	IAM *IAMIdentity `json:"iam,omitempty"`
}

// IAMIdentity is requestContext.authorizer.iam of a function URL or HTTP API
// request with IAM authorization.
type IAMIdentity struct {
	AccessKey      string  `json:"accessKey"`
	AccountID      string  `json:"accountId"`
	CallerID       string  `json:"callerId"`
	PrincipalOrgID *string `json:"principalOrgId"`
	UserARN        string  `json:"userArn"`
	UserID         string  `json:"userId"`
}

// RESTIdentity is requestContext.identity of a REST API request with IAM
// authorization.
type RESTIdentity struct {
	AccessKey string `json:"accessKey,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Caller    string `json:"caller,omitempty"`
	User      string `json:"user,omitempty"`
	UserARN   string `json:"userArn,omitempty"`
	SourceIP  string `json:"sourceIp,omitempty"`
	// PrincipalOrgID is the caller's organization, when API Gateway
	// provides it.
	PrincipalOrgID *string `json:"principalOrgId,omitempty"`
}

// HTTPDescription is requestContext.http of a payload 2.0 request.
type HTTPDescription struct {
	Method   string `json:"method"`
	Path     string `json:"path"`
	SourceIP string `json:"sourceIp"`
}

// ErrUnsigned is returned for requests that reached the broker without an
// IAM identity (a function URL or route without AWS_IAM authorization).
var ErrUnsigned = errors.New("the request carries no IAM identity: the broker must sit behind AWS_IAM authorization")

// Caller is the authenticated caller of the request. The body is never read
// for it.
func (e Event) Caller() (rules.Caller, error) {
	if a := e.RequestContext.Authorizer; a != nil && a.IAM != nil && a.IAM.UserARN != "" {
		c := rules.Caller{ARN: a.IAM.UserARN, AccountID: a.IAM.AccountID}
		if a.IAM.PrincipalOrgID != nil {
			c.PrincipalOrgID = *a.IAM.PrincipalOrgID
		}
		return c, nil
	}
	if id := e.RequestContext.Identity; id != nil && id.UserARN != "" {
		c := rules.Caller{ARN: id.UserARN, AccountID: id.AccountID}
		if id.PrincipalOrgID != nil {
			c.PrincipalOrgID = *id.PrincipalOrgID
		}
		return c, nil
	}
	return rules.Caller{}, ErrUnsigned
}

// SourceIP is the caller's address, for the log.
func (e Event) SourceIP() string {
	if h := e.RequestContext.HTTP; h != nil {
		return h.SourceIP
	}
	if id := e.RequestContext.Identity; id != nil {
		return id.SourceIP
	}
	return ""
}

// SessionRequest reads the body. Unknown fields are refused, so a body
// that tries to name the caller (a forged "userArn" or "permissionSet") is
// a bad request rather than silently half-read.
func (e Event) SessionRequest() (rules.Request, error) {
	method := e.HTTPMethod
	if h := e.RequestContext.HTTP; h != nil {
		method = h.Method
	}
	if method != "" && method != "POST" {
		return rules.Request{}, fmt.Errorf("method %s: the broker takes POST", method)
	}
	raw, err := decodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return rules.Request{}, fmt.Errorf("decoding the base64 body: %w", err)
	}
	if len(raw) > maxBodyBytes {
		return rules.Request{}, fmt.Errorf("the body is %d bytes, over %d", len(raw), maxBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var r rules.Request
	if err := dec.Decode(&r); err != nil {
		return rules.Request{}, fmt.Errorf("reading the body as a session request: %w", err)
	}
	return r, nil
}
