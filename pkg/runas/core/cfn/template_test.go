package cfn_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/writerprops"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

const examplePath = "../../../../examples/per-role/runas.yaml"

func exampleConfig(t *testing.T) *settings.Config {
	t.Helper()
	c, err := settings.Load(examplePath)
	require.NoError(t, err)
	return c
}

func exampleTemplate(t *testing.T) []byte {
	t.Helper()
	args, err := cfn.MemberArgsFor(exampleConfig(t))
	require.NoError(t, err)
	tpl, err := cfn.MemberTemplate(args)
	require.NoError(t, err)
	return tpl.JSON()
}

func TestSessionPreferencesTemplate(t *testing.T) {
	golden.JSON(t, "template.json", exampleTemplate(t))
}

func TestSessionPreferencesTemplatePassesCfnLint(t *testing.T) {
	testtools.CfnLint(t, exampleTemplate(t))
}

func TestSessionPreferencesTemplateCarriesValidatedPreferences(t *testing.T) {
	_, err := cfn.MemberTemplate(cfn.MemberArgs{Preferences: sessiondoc.Preferences{RunAsDefaultUser: "root"}})
	assert.ErrorContains(t, err, "root is not allowed", "the template must refuse root")

	var tpl struct {
		Resources map[string]struct {
			Properties json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(exampleTemplate(t), &tpl))
	props := tpl.Resources[cfn.LogicalSessionPreferences].Properties
	// What CloudFormation hands the writer: the properties, service token resolved.
	var p writerprops.Properties
	require.NoError(t, json.Unmarshal(props, &p))
	p.ServiceToken = "arn:aws:lambda:eu-west-1:111122223333:function:ssm-runas-prefs-writer"
	p.ServiceTimeout = "300"
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	req, err := writerprops.Decode(raw)
	require.NoError(t, err, "the writer could not read the template's preferences")
	assert.Equal(t, "ssm-fallback", req.Preferences.RunAsDefaultUser)
}

func TestWriterKnowsItsStack(t *testing.T) {
	var tpl struct {
		Resources map[string]struct {
			Properties struct {
				Environment struct{ Variables map[string]any }
				Policies    []struct {
					PolicyDocument struct {
						Statement []struct {
							Sid      string
							Action   any
							Resource any
						}
					}
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(exampleTemplate(t), &tpl))
	env := tpl.Resources[cfn.LogicalWriterFunction].Properties.Environment.Variables
	assert.Equal(t, map[string]any{"Ref": "AWS::StackId"}, env[writerprops.EnvStackID])

	var found bool
	for _, p := range tpl.Resources[cfn.LogicalWriterRole].Properties.Policies {
		for _, st := range p.PolicyDocument.Statement {
			if st.Sid == "ReadOwnStackResource" {
				found = true
				assert.Equal(t, "cloudformation:DescribeStackResource", st.Action)
				assert.Equal(t, map[string]any{"Ref": "AWS::StackId"}, st.Resource, "only its own stack")
			}
		}
	}
	assert.True(t, found, "the writer's role must be able to read its own stack's record")
}

func TestHostAccountsRefuseDocumentParameters(t *testing.T) {
	_, err := cfn.MemberTemplate(cfn.MemberArgs{Preferences: sessiondoc.Preferences{RunAsDefaultUser: "ops"}, Sections: []cfn.Section{&cfn.HostAccountsArgs{
		Script: []byte("echo {{ injected }}\n"), TargetTagKey: "k", TargetTagValue: "v", Schedule: "rate(30 minutes)",
	}}})
	assert.ErrorContains(t, err, "{{")
}

func TestHostAccountsScriptRoundTrips(t *testing.T) {
	var tpl struct{ Resources map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(exampleTemplate(t), &tpl))
	var doc struct{ Properties cfn.DocumentProperties }
	require.NoError(t, json.Unmarshal(tpl.Resources[cfn.LogicalHostAccountsDocument], &doc))
	h, err := cfn.HostAccountsFor(exampleConfig(t))
	require.NoError(t, err)
	require.NotNil(t, h)
	lines := doc.Properties.Content.MainSteps[0].Inputs.RunCommand
	assert.Equal(t, string(h.Script), strings.Join(lines, "\n")+"\n",
		"the document's runCommand lines must join back to the script byte for byte")
}

// queue is a section another package could add: an SQS queue.
type queue struct{ id string }

func (q queue) AddTo(t *cfn.Template) error {
	if _, taken := t.Resources[q.id]; taken {
		return errors.New("queue: logical id taken")
	}
	t.Resources[q.id] = cfn.Resource{Type: "AWS::SQS::Queue"}
	return nil
}

type failing struct{}

func (failing) AddTo(*cfn.Template) error { return errors.New("failing section: bad input") }

func TestSections(t *testing.T) {
	prefs := sessiondoc.Preferences{RunAsDefaultUser: "ops"}

	t.Run("added in order after the writer", func(t *testing.T) {
		tpl, err := cfn.MemberTemplate(cfn.MemberArgs{Preferences: prefs, Sections: []cfn.Section{queue{"QueueA"}, queue{"QueueB"}}})
		require.NoError(t, err)
		assert.Equal(t, "AWS::SQS::Queue", tpl.Resources["QueueA"].Type)
		assert.Equal(t, "AWS::SQS::Queue", tpl.Resources["QueueB"].Type)
		assert.Contains(t, tpl.Resources, cfn.LogicalSessionPreferences)
		testtools.CfnLint(t, tpl.JSON())
	})

	t.Run("a failing section fails the template", func(t *testing.T) {
		_, err := cfn.MemberTemplate(cfn.MemberArgs{Preferences: prefs, Sections: []cfn.Section{queue{"Q"}, failing{}}})
		assert.ErrorContains(t, err, "failing section")
		_, err = cfn.MemberTemplate(cfn.MemberArgs{Preferences: prefs, Sections: []cfn.Section{nil}})
		assert.ErrorContains(t, err, "section 0 is nil")
	})

	t.Run("host accounts never replace another section's resource", func(t *testing.T) {
		c := exampleConfig(t)
		hosts, err := cfn.HostAccountsFor(c)
		require.NoError(t, err)
		_, err = cfn.MemberTemplate(cfn.MemberArgs{Preferences: prefs, Sections: []cfn.Section{queue{cfn.LogicalHostAccountsDocument}, hosts}})
		assert.ErrorContains(t, err, "already taken")
	})
}
