package main

import (
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func TestStackSetTemplatePassesCfnLint(t *testing.T) {
	code, out, errOut := runCLI(t, "stackset", "template", "--config", example)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c, err := settings.Load(example)
	if err != nil {
		t.Fatal(err)
	}
	tpl, _ := cfn.MemberTemplate(c)
	if out != string(tpl.JSON()) {
		t.Fatal("the command must print the builder's template unchanged")
	}
	testtools.CfnLint(t, []byte(out))
}

type planRow struct {
	Type, Name, Parent, Provider string
	Inputs                       map[string]any
}
