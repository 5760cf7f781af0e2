// Package member builds the CloudFormation template every member account
// and region gets: the session preferences and their writer, then each
// section the configuration deploys (the role-account association, the
// per-user domain join, the session broker's role). It is the one builder
// `runas stackset template`, `runas plan` and the stacks share, and it lists
// every section explicitly, so no program can leave one out.
//
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/what-is-cfnstacksets.html
package member

import (
	"fmt"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy/membersection"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Args maps a validated configuration to the member template's arguments.
func Args(c *settings.Config) (cfn.MemberArgs, error) {
	args, err := cfn.MemberArgsFor(c)
	if err != nil {
		return cfn.MemberArgs{}, err
	}
	join, err := hostjoin.SectionFor(c)
	if err != nil {
		return cfn.MemberArgs{}, fmt.Errorf("building the member template section %s: %w", hostjoin.SectionName, err)
	}
	if join != nil {
		args.Sections = append(args.Sections, join)
	}
	role, err := membersection.For(c)
	if err != nil {
		return cfn.MemberArgs{}, fmt.Errorf("building the member template section %s: %w", membersection.SectionName, err)
	}
	if role != nil {
		args.Sections = append(args.Sections, role)
	}
	return args, nil
}

// MaxTemplateBodyBytes is the largest template CloudFormation takes in a
// request's TemplateBody (CreateStackSet, UpdateStackSet, CreateStack,
// UpdateStack), which is how the stacks pass the member template.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html
const MaxTemplateBodyBytes = 51200

// Template is the member template for a validated configuration. A
// template larger than CloudFormation takes is refused here, where every
// reader builds it, rather than by CloudFormation during `pulumi up`.
func Template(c *settings.Config) (cfn.Template, error) {
	args, err := Args(c)
	if err != nil {
		return cfn.Template{}, err
	}
	tpl, err := cfn.MemberTemplate(args)
	if err != nil {
		return cfn.Template{}, err
	}
	if n := len(tpl.JSON()); n > MaxTemplateBodyBytes {
		return cfn.Template{}, fmt.Errorf("building the member template: %d bytes, more than the %d CloudFormation takes as a template body; configure fewer sudo rules, login groups or role accounts", n, MaxTemplateBodyBytes)
	}
	return tpl, nil
}
