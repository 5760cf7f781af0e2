package awsorg

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// retryer is the standard retryer with two changes: a call whose endpoint
// cannot be reached gives up after ConnectAttempts, and every retry is
// counted (throttling) and reported (OnRetry).
type retryer struct {
	aws.RetryerV2
	f                        *Factory
	service, account, region string
}

// IsErrorRetryable leaves out failures to get the account's credentials:
// the AssumeRole call inside has been retried by its own retryer already,
// and retrying the outer call would multiply the attempts.
func (r *retryer) IsErrorRetryable(err error) bool {
	var op *smithy.OperationError
	if r.service != "sts" && errors.As(err, &op) && op.ServiceID == "STS" {
		return false
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

func (r *retryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	unreachable := Unreachable(err)
	if unreachable && attempt >= ConnectAttempts {
		return 0, fmt.Errorf("endpoint unreachable, not retrying further: %w", err)
	}
	d, derr := r.RetryerV2.RetryDelay(attempt, err)
	if derr != nil {
		return d, derr
	}
	if unreachable {
		d = min(d, ConnectBackoff)
	}
	throttled := Throttled(err)
	if throttled {
		r.f.throttles.Add(1)
	}
	if r.f.opts.OnRetry != nil {
		r.f.opts.OnRetry(Retry{Service: r.service, Account: r.account, Region: r.region, Attempt: attempt, Delay: d, Err: err, Throttled: throttled})
	}
	return d, nil
}

// Throttled reports whether err is a service asking the caller to slow down.
func Throttled(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// Unreachable reports whether err means the endpoint could not be reached
// at all: connection refused, no route, a name that does not resolve.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no route to host") || strings.Contains(s, "network is unreachable")
}

// deniedCodes are answers retrying cannot change: the caller lacks the
// permission, or its credentials are not (or no longer) valid.
var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"ExpiredToken": true, "ExpiredTokenException": true, "RequestExpired": true,
	"InvalidClientTokenId": true, "UnrecognizedClientException": true, "InvalidAccessKeyId": true,
	"SignatureDoesNotMatch": true, "InvalidSignatureException": true, "AccessDeniedForDependencyException": true,
	"AWSOrganizationsNotInUseException": true,
}

// Denied reports whether err is an answer no retry can change: access
// denied, expired or unknown credentials.
func Denied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && deniedCodes[api.ErrorCode()]
}

// Fatal reports whether err will recur on every retry and every target:
// the endpoint is unreachable or the credentials are refused.
func Fatal(err error) bool { return Unreachable(err) || Denied(err) }
