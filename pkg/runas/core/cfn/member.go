package cfn

import (
	"fmt"
	"sort"
	"sync"

	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// SectionFunc derives one section of the member template from a validated
// configuration. It returns nil when the configuration does not deploy the
// section.
type SectionFunc func(c *settings.Config) (Section, error)

var sections = struct {
	sync.Mutex
	byName map[string]SectionFunc
}{byName: map[string]SectionFunc{}}

// RegisterSection makes MemberArgsFor derive a section from every
// configuration with f. Packages that add to the member template (a
// domain-join association, a broker's session role) call it from an init
// function, so that `runas stackset template` and the stacks, which both
// build the template with MemberArgsFor, get the section alike; each binary
// must import the registering package. name orders the sections (after the
// built-in ones) and must be unique: registering a name twice panics, as
// two packages claiming one section is a build mistake.
func RegisterSection(name string, f SectionFunc) {
	sections.Lock()
	defer sections.Unlock()
	if name == "" || f == nil {
		panic("cfn.RegisterSection: name and function are required")
	}
	if _, dup := sections.byName[name]; dup {
		panic(fmt.Sprintf("cfn.RegisterSection: section %q registered twice", name))
	}
	sections.byName[name] = f
}

// registered returns the registered sections' names in order.
func registered() []string {
	sections.Lock()
	defer sections.Unlock()
	names := make([]string, 0, len(sections.byName))
	for n := range sections.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MemberArgsFor maps a validated configuration to the member template's
// arguments: its session preferences, the role-account association when
// the configuration deploys it, then every registered section. It is the
// one mapping the CLI and the stacks share.
func MemberArgsFor(c *settings.Config) (MemberArgs, error) {
	args := MemberArgs{Preferences: c.SessionPreferences}
	hosts, err := HostAccountsFor(c)
	if err != nil {
		return MemberArgs{}, err
	}
	if hosts != nil {
		args.Sections = append(args.Sections, hosts)
	}
	for _, name := range registered() {
		sections.Lock()
		f := sections.byName[name]
		sections.Unlock()
		sec, err := f(c)
		if err != nil {
			return MemberArgs{}, fmt.Errorf("building the member template section %s: %w", name, err)
		}
		if sec != nil {
			args.Sections = append(args.Sections, sec)
		}
	}
	return args, nil
}

// MemberTemplateFor is MemberTemplate(MemberArgsFor(c)).
func MemberTemplateFor(c *settings.Config) (Template, error) {
	args, err := MemberArgsFor(c)
	if err != nil {
		return Template{}, err
	}
	return MemberTemplate(args)
}
