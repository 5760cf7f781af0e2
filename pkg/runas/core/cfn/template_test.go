package cfn_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

func exampleTemplate(t *testing.T) []byte {
	t.Helper()
	c, err := settings.Load("../../../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.MemberTemplate(c)
	if err != nil {
		t.Fatal(err)
	}
	return tpl.JSON()
}

func TestSessionPreferencesTemplate(t *testing.T) {
	golden.JSON(t, "template.json", exampleTemplate(t))
}

func TestSessionPreferencesTemplatePassesCfnLint(t *testing.T) {
	testtools.CfnLint(t, exampleTemplate(t))
}

func TestSessionPreferencesTemplateCarriesValidatedPreferences(t *testing.T) {
	if _, err := cfn.SessionPreferencesTemplate(&sessiondoc.Preferences{RunAsDefaultUser: "root"}, nil); err == nil ||
		!strings.Contains(err.Error(), "root is not allowed") {
		t.Fatalf("want the template to refuse root, got %v", err)
	}
	var tpl struct {
		Resources map[string]struct {
			Properties cfn.PreferencesProperties
		}
	}
	if err := json.Unmarshal(exampleTemplate(t), &tpl); err != nil {
		t.Fatal(err)
	}
	got, err := sessiondoc.ParsePreferences(tpl.Resources[cfn.LogicalSessionPreferences].Properties.Preferences)
	if err != nil {
		t.Fatalf("the writer could not read the template's preferences: %v", err)
	}
	if got.RunAsDefaultUser != "ssm-fallback" {
		t.Fatalf("RunAsDefaultUser = %q", got.RunAsDefaultUser)
	}
}

func TestHostAccountsRefuseDocumentParameters(t *testing.T) {
	_, err := cfn.SessionPreferencesTemplate(&sessiondoc.Preferences{RunAsDefaultUser: "ops"}, &cfn.HostAccountsArgs{
		Script: []byte("echo {{ injected }}\n"), TargetTagKey: "k", TargetTagValue: "v", Schedule: "rate(30 minutes)",
	})
	if err == nil || !strings.Contains(err.Error(), "{{") {
		t.Fatalf("want a refusal of {{, got %v", err)
	}
}

func TestHostAccountsScriptRoundTrips(t *testing.T) {
	var tpl struct{ Resources map[string]json.RawMessage }
	if err := json.Unmarshal(exampleTemplate(t), &tpl); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Properties cfn.DocumentProperties }
	if err := json.Unmarshal(tpl.Resources[cfn.LogicalHostAccountsDocument], &doc); err != nil {
		t.Fatal(err)
	}
	c, _ := settings.Load("../../../../examples/per-role/runas.yaml")
	h, err := cfn.HostAccountsFor(c)
	if err != nil {
		t.Fatal(err)
	}
	lines := doc.Properties.Content.MainSteps[0].Inputs.RunCommand
	if strings.Join(lines, "\n")+"\n" != string(h.Script) {
		t.Fatal("the document's runCommand lines must join back to the script byte for byte")
	}
}
