package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

// ConnectOptions are what `runas connect` passes.
type ConnectOptions struct {
	// Client says where the broker is and signs the request.
	Client ClientOptions
	// Request is the session asked for; Request.Region is the target's
	// region.
	Request rules.Request
	// Profile is the AWS profile name the plugin is told about, "" for
	// none (as the AWS CLI passes it).
	Profile string
	// SSMEndpointURL is optional, default the region's SSM endpoint: what
	// the plugin is given as the endpoint, as the AWS CLI passes it.
	SSMEndpointURL string
	// Plugin is optional, default session-manager-plugin on PATH.
	Plugin string
	// Run carries the terminal.
	Run RunOptions
}

// Connect finds the plugin, asks the broker for a session and runs the
// plugin with it, with the arguments `aws ssm start-session` would pass.
// The plugin is looked up first, so a missing plugin never leaves a
// session started and unused.
func Connect(ctx context.Context, o ConnectOptions) (Session, error) {
	path, version, err := FindPlugin(ctx, o.Plugin)
	if err != nil {
		return Session{}, err
	}
	if o.Request.Region == "" {
		return Session{}, errors.New("connecting: the target's region is required (--region or the profile's region)")
	}
	s, err := RequestSession(ctx, o.Client, o.Request)
	if err != nil {
		return Session{}, err
	}
	endpoint := o.SSMEndpointURL
	if endpoint == "" {
		endpoint = SSMEndpoint(o.Request.Region)
	}
	params := StartSessionParameters{
		Target:       o.Request.Target,
		DocumentName: o.Request.DocumentName,
		Reason:       o.Request.Reason,
		Parameters:   o.Request.Parameters,
	}
	inv := NewPluginInvocation(version, s, o.Request.Region, o.Profile, params, endpoint)
	if err := RunPlugin(ctx, path, inv, o.Run); err != nil {
		return s, fmt.Errorf("session %s as %s: %w", s.SessionID, s.LinuxUser, err)
	}
	return s, nil
}
