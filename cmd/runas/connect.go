package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

func newConnectCommand() *cobra.Command {
	var (
		req                                      rules.Request
		profile, brokerURL, brokerRegion, plugin string
		endpointURL, parameters                  string
	)
	cmd := &cobra.Command{
		Use:   "connect --target INSTANCE [--profile P] [--region R]",
		Short: "Open a shell through the session broker, as your permission set's Linux user",
		Long: `connect is the client of the per-permission-set model. It signs a request to
the session broker with your own Identity Center credentials (SigV4), and the
broker starts the session in your account as the Linux user your permission
set maps to, with your name as the session's SourceIdentity. connect then runs
session-manager-plugin with the session exactly as 'aws ssm start-session'
would, so the shell's data goes straight from the plugin to the instance.

The broker's URL comes from --broker-url or $` + broker.URLEnv + `.
session-manager-plugin must be on PATH; connect checks before asking the
broker, so no session is started when it is missing.`,
		Example: `  runas connect --target i-0123456789abcdef0 --profile dev-admin --region eu-west-1
  runas connect --target i-0123456789abcdef0 --document AWS-StartPortForwardingSession \
      --parameters '{"portNumber":["5432"],"localPortNumber":["15432"]}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Target == "" {
				return errors.New("--target is required")
			}
			if brokerURL == "" {
				brokerURL = os.Getenv(broker.URLEnv)
			}
			if brokerURL == "" {
				return fmt.Errorf("--broker-url (or $%s) is required: the URL of the session broker", broker.URLEnv)
			}
			if parameters != "" {
				if err := json.Unmarshal([]byte(parameters), &req.Parameters); err != nil {
					return fmt.Errorf(`--parameters must be JSON such as {"portNumber":["22"]}: %v`, err)
				}
			}
			ctx := cmd.Context()
			var opts []func(*config.LoadOptions) error
			if profile != "" {
				opts = append(opts, config.WithSharedConfigProfile(profile))
			}
			if req.Region != "" {
				opts = append(opts, config.WithRegion(req.Region))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return problem(fmt.Errorf("loading AWS profile %q: %w", profile, err))
			}
			req.Region = cfg.Region
			s, err := broker.Connect(ctx, broker.ConnectOptions{
				Client: broker.ClientOptions{
					URL:           brokerURL,
					Credentials:   cfg.Credentials,
					SigningRegion: brokerRegion,
				},
				Request:        req,
				Profile:        profile,
				SSMEndpointURL: endpointURL,
				Plugin:         plugin,
				Run:            broker.RunOptions{Stdin: cmd.InOrStdin(), Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()},
			})
			if err != nil {
				return problem(err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "runas: session %s ended (opened as %s on %s)\n", s.SessionID, s.LinuxUser, s.Target)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Target, "target", "", "instance id (i-...) or managed instance id (mi-...); required")
	f.StringVar(&profile, "profile", "", "AWS profile of your Identity Center sign-in (default: the environment's credentials)")
	f.StringVar(&req.Region, "region", "", "the target's region (default: the profile's region)")
	f.StringVar(&req.DocumentName, "document", "", "session document (default: the broker's, SSM-SessionManagerRunShell)")
	f.StringVar(&parameters, "parameters", "", "the document's parameters as JSON")
	f.StringVar(&req.Reason, "reason", "", "why you open the session; recorded by CloudTrail")
	f.StringVar(&brokerURL, "broker-url", "", "the broker's function URL or API Gateway URL (default $"+broker.URLEnv+")")
	f.StringVar(&brokerRegion, "broker-region", "", "the broker's region, for signing (default: from the URL's host name)")
	f.StringVar(&endpointURL, "endpoint-url", "", "SSM endpoint given to the plugin (default: the region's)")
	f.StringVar(&plugin, "plugin", "", "session-manager-plugin to run (default: from PATH)")
	return cmd
}
