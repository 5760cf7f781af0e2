package cfn_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/config"
	"github.com/ssm-runas/ssm-runas/pkg/runas/sessiondoc"
)

func exampleTemplate(t *testing.T) []byte {
	t.Helper()
	c, err := config.Load("../../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.SessionPreferencesTemplate(&c.SessionPreferences)
	if err != nil {
		t.Fatal(err)
	}
	return tpl.JSON()
}

func TestSessionPreferencesTemplate(t *testing.T) {
	golden.JSON(t, "template.json", exampleTemplate(t))
}

func TestSessionPreferencesTemplatePassesCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint is not installed: pip install cfn-lint (the template must pass it)")
	}
	p := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(p, exampleTemplate(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--format", "parseable", p).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint found problems (%v):\n%s", err, out)
	}
}

func TestSessionPreferencesTemplateCarriesValidatedPreferences(t *testing.T) {
	if _, err := cfn.SessionPreferencesTemplate(&sessiondoc.Preferences{RunAsDefaultUser: "root"}); err == nil ||
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
