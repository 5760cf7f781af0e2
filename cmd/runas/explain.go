package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/explain"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func newExplainCommand() *cobra.Command {
	var (
		user, groups, attribute, directoryValue, others, permissionSet, document, region, hostUsers, account string
	)
	var s *setup
	cmd := &cobra.Command{
		Use:   "explain --config FILE --user NAME (--groups G1,G2 | --attribute VALUE | --directory-value VALUE) [flags]",
		Short: "Explain which Linux user a person's session opens as, and why",
		Long: `explain follows one person through the chain the configuration builds, without
calling AWS, and prints every step with the rule that decided it:

  the SSMSessionRunAs value (from role groups by precedence, or as given),
  Identity Center sign-in (multi-valued attributes are rejected), the session
  tag, the permission set, what IAM decides from the permission-set policy and
  the guardrail SCP as deployed (the value must be a role user in the per-role
  model and not a reserved account; the region must have the preferences
  document; only allowed documents), Run As (the tag wins over the document's
  runAsDefaultUser; Run As off means ssm-user), the agent's name checks, and
  the host's accounts.

--groups gives the person's Entra groups (per-role model); --attribute gives
the value Identity Center holds instead, exactly as stored: whitespace is kept
("a,b" is a multi-valued attribute). Without --groups the assignments are not
known, and no permission set is assumed unless --permission-set names one.

Per-user models: --directory-value gives the person's own directory attribute
(perUser.userSource, e.g. onPremisesSamAccountName "Alice"), which the
provisioning mapping lower-cases; explain then checks the value is a valid
Linux name and not reserved, whether anyone in --others holds the same value
(compared without case, as hosts look names up; without --others that is left
to runas audit), and how a joined host resolves it (bare, or through the
default domain suffix with fully qualified names; home /home/NAME).

Exit code 0 when a shell would open as intended, 1 when it would not (IAM
denies it, the agent refuses the name, another person holds the value, or it
would open as ssm-user).
JSON: {"user":...,"linuxUser":... or null,"failure":null or ...,"steps":[{"step","rule","result"}]}`,
		Example: `  runas explain --config examples/per-role/runas.yaml --user alice@corp.example --groups SG-AWS-SSM-Developer
  runas explain --config examples/per-role/runas.yaml --user bob@corp.example --attribute bob --host-users bob,alice
  runas explain --config examples/per-role/runas.yaml --user carol@corp.example --groups SG-AWS-SSM-Admin,SG-AWS-SSM-Developer --output json
  runas explain --config examples/per-role/runas.yaml --user dave@corp.example --attribute ec2-user --region ap-southeast-2
  runas explain --config examples/per-user/runas.yaml --user alice@example.com --directory-value Alice --others bob,carol`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			given := 0
			for _, f := range []string{"groups", "attribute", "directory-value"} {
				if flags.Changed(f) {
					given++
				}
			}
			if given != 1 {
				return &exitError{code: exitUsage, err: fmt.Errorf("give exactly one of --groups, --attribute and --directory-value")}
			}
			if flags.Changed("account") && !settings.ValidAccountID(account) {
				return &exitError{code: exitUsage, err: fmt.Errorf("--account %q: must be a 12-digit account id", account)}
			}
			_, c, done, err := s.begin(cmd)
			if err != nil {
				return err
			}
			defer done()
			req := explain.Request{User: user, PermissionSet: permissionSet, Document: document, Region: region}
			switch {
			case flags.Changed("groups"):
				req.Groups = splitList(groups)
			case flags.Changed("directory-value"):
				req.DirectoryValue = &directoryValue
			default:
				req.AttributeValues = splitValues(attribute)
			}
			if flags.Changed("others") {
				req.Others = splitList(others)
			}
			if flags.Changed("host-users") {
				req.HostUsers = splitList(hostUsers)
			}
			res, err := explain.Explain(c, req)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			// With a session broker, the Linux user follows the permission
			// set picked: say what the broker decides for each.
			var brokered []settings.BrokerOutcome
			if c.Broker != nil {
				if account == "" {
					account = c.Organization.ManagementAccountID
				}
				var asked []string
				if permissionSet != "" {
					asked = []string{permissionSet}
				}
				brokered = c.ExplainBroker(user, account, asked...)
			}
			if s.output == "json" {
				out := struct {
					explain.Result
					Broker []settings.BrokerOutcome `json:"broker,omitempty"`
				}{res, brokered}
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return problem(fmt.Errorf("writing the explanation: %w", err))
				}
			} else {
				writeExplainTable(cmd.OutOrStdout(), res)
				if len(brokered) > 0 {
					writeBrokerTable(cmd.OutOrStdout(), account, brokered)
				}
			}
			if res.BrokerPermissionSet != "" {
				// Direct sessions are denied, and the broker decides.
				for _, b := range brokered {
					if b.PermissionSet != res.BrokerPermissionSet {
						continue
					}
					if b.LinuxUser != "" {
						return nil
					}
					return &exitError{code: exitProblem, err: fmt.Errorf("no shell for %s: %s serves no direct sessions and the broker refuses: %s", user, b.PermissionSet, b.Refusal)}
				}
			}
			if !res.OK() {
				what := "no shell"
				if res.Opens() {
					what = "shell as " + *res.LinuxUser
				}
				// The report is on stdout; stderr gets the one-line reason.
				return &exitError{code: exitProblem, err: fmt.Errorf("%s for %s: %s", what, user, *res.Failure)}
			}
			return nil
		},
	}
	s = newSetup(cmd, setupOptions{Outputs: []string{"table", "json"}})
	f := cmd.Flags()
	f.StringVarP(&user, "user", "u", "", "the person, e.g. their Identity Center user name (required)")
	f.StringVar(&groups, "groups", "", "the person's Entra groups, comma-separated (per-role model)")
	f.StringVar(&attribute, "attribute", "", "the attribute value(s) Identity Center holds, comma-separated")
	f.StringVar(&directoryValue, "directory-value", "", "per-user: the person's own directory attribute (perUser.userSource) as Entra holds it")
	f.StringVar(&others, "others", "", "per-user: the values other people hold, comma-separated (default: not checked; runas audit checks them all)")
	f.StringVar(&account, "account", "", "with a broker section: the account the person signs in to and starts the session in (default: organization.managementAccountId)")
	f.StringVar(&permissionSet, "permission-set", "", "the permission set picked at sign-in, by name or ARN (default with --groups: that of the winning role)")
	f.StringVar(&region, "region", "", "the region the session starts in (default: not checked)")
	f.StringVar(&document, "document", "", "the document named at StartSession (default: SSM-SessionManagerRunShell)")
	f.StringVar(&hostUsers, "host-users", "", "the accounts on the host, comma-separated (default: what the host accounts association creates)")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitValues splits attribute values on commas and keeps them exactly as
// given: a stored value with whitespace is what the directory holds, and
// explain must report it, not a tidied copy.
func splitValues(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func writeExplainTable(w io.Writer, res explain.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "user %s\n\n", res.User)
	fmt.Fprintln(tw, "#\tSTEP\tRESULT\tRULE")
	for i, s := range res.Steps {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i+1, s.Step, s.Result, s.Rule)
	}
	tw.Flush()
	switch {
	case res.Failure == nil:
		fmt.Fprintf(w, "\nlands as %s\n", *res.LinuxUser)
	case res.LinuxUser != nil:
		fmt.Fprintf(w, "\nlands as %s (%s)\n", *res.LinuxUser, *res.Failure)
	default:
		fmt.Fprintf(w, "\nno shell: %s\n", *res.Failure)
	}
}

// writeBrokerTable shows what the session broker decides for the person with
// each permission set: the Linux user, or why it refuses.
func writeBrokerTable(w io.Writer, account string, outcomes []settings.BrokerOutcome) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nthrough the session broker, signed in to %s:\n", account)
	fmt.Fprintln(tw, "PERMISSION SET\tLINUX USER\tBROKER")
	for _, o := range outcomes {
		user, verdict := o.LinuxUser, "allowed"
		if o.Refusal != "" {
			user, verdict = "-", "refused: "+o.Refusal
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", o.PermissionSet, user, verdict)
	}
	tw.Flush()
	fmt.Fprintln(w, "the broker decides for the permission set a person signs in with; it does not check assignments:"+
		" a person signs in only with the permission sets their groups are assigned (the steps above)")
}
