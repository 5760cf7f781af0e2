package cfn_test

import (
	"fmt"
	"slices"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// alarmTopic is a section another package could add to the member template.
type alarmTopic struct{}

func (alarmTopic) AddTo(t *cfn.Template) error {
	t.Resources["AlarmTopic"] = cfn.Resource{Type: "AWS::SNS::Topic"}
	return nil
}

func ExampleMemberTemplate() {
	tpl, err := cfn.MemberTemplate(cfn.MemberArgs{
		Preferences: sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"},
		Sections:    []cfn.Section{alarmTopic{}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var ids []string
	for id, r := range tpl.Resources {
		ids = append(ids, id+" "+r.Type)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Println(id)
	}
	// Output:
	// AlarmTopic AWS::SNS::Topic
	// SessionPreferences Custom::SessionManagerPreferences
	// WriterFunction AWS::Lambda::Function
	// WriterLogGroup AWS::Logs::LogGroup
	// WriterRole AWS::IAM::Role
}
