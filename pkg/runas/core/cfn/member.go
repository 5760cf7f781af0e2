package cfn

import (
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// MemberArgsFor maps a validated configuration to the arguments of the
// member template's built-in parts: its session preferences and the
// role-account association when the configuration deploys it. Package
// member adds the sections other packages define (domain join, broker
// session role); the CLI and the stacks build the template there.
func MemberArgsFor(c *settings.Config) (MemberArgs, error) {
	args := MemberArgs{Preferences: c.SessionPreferences}
	hosts, err := HostAccountsFor(c)
	if err != nil {
		return MemberArgs{}, err
	}
	if hosts != nil {
		args.Sections = append(args.Sections, hosts)
	}
	return args, nil
}
