package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/member"
)

func newStackSetCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stackset",
		Short: "Work with the StackSet that configures every member account",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var s *setup
	tpl := &cobra.Command{
		Use:   "template --config FILE",
		Short: "Print the CloudFormation template the StackSet deploys",
		Long: `template prints the CloudFormation template (JSON) that the StackSet deploys
into every member account and region, and that the management account gets
as plain stacks: the preferences writer Lambda (code from the artifact bucket
of the stack's region), its role ssm-runas-prefs-writer-<region>, its log
group, the custom resource carrying the configured preferences, and (per-role
model) the State Manager association that creates the role accounts and their
sudo rules on instances tagged hostAccounts.targetTagKey=targetTagValue, then
any further section the configuration deploys. The stacks deploy exactly this
template (the same builder, member.Template).

Parameters: ArtifactBucketPrefix (buckets are <prefix>-<region>) and
ArtifactKey (ssm-prefs-writer/<sha256>.zip); the Pulumi program sets both.`,
		Example: `  runas stackset template --config examples/per-role/runas.yaml > template.json
  cfn-lint template.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, done, err := s.begin(cmd)
			if err != nil {
				return err
			}
			defer done()
			t, err := member.Template(c)
			if err != nil {
				return problem(err)
			}
			if _, err := cmd.OutOrStdout().Write(t.JSON()); err != nil {
				return problem(fmt.Errorf("writing the template: %w", err))
			}
			return nil
		},
	}
	s = newSetup(tpl, setupOptions{})
	cmd.AddCommand(tpl)
	return cmd
}
