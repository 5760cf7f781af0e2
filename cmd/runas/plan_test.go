package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/brokerpolicy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
)

type planDoc struct {
	Resources       []pulumimock.Row
	DeploymentOrder []deploy.Step
}

func planJSON(t *testing.T, args ...string) (planDoc, string) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"plan", "--output", "json"}, args...)...)
	require.Equal(t, 0, code, errOut)
	var doc planDoc
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	return doc, out
}

func byType(rows []pulumimock.Row) map[string][]pulumimock.Row {
	m := map[string][]pulumimock.Row{}
	for _, r := range rows {
		m[r.Type] = append(m[r.Type], r)
	}
	return m
}

func TestPlanJSON(t *testing.T) {
	doc, out := planJSON(t, "--config", example)
	assert.True(t, sort.SliceIsSorted(doc.Resources, func(i, j int) bool {
		a, b := doc.Resources[i], doc.Resources[j]
		return a.Type < b.Type || (a.Type == b.Type && a.Name < b.Name)
	}), "resources are sorted by type and name")
	types := byType(doc.Resources)

	ss := types["aws:cloudformation/stackSet:StackSet"]
	require.Len(t, ss, 1)
	assert.Equal(t, "SERVICE_MANAGED", ss[0].Inputs["permissionModel"])
	assert.Equal(t, true, ss[0].Inputs["autoDeployment"].(map[string]any)["enabled"])
	key := ss[0].Inputs["parameters"].(map[string]any)["ArtifactKey"].(string)
	assert.NotContains(t, key, "not-built", "the writer is built from the checkout")

	instances := map[string]int{}
	for _, r := range types["aws:cloudformation/stackSetInstance:StackSetInstance"] {
		instances[r.Inputs["region"].(string)]++
	}
	assert.Equal(t, map[string]int{"eu-west-1": 2, "eu-central-1": 2, "us-east-1": 2}, instances, "one instance per target and region")
	assert.Len(t, types["aws:s3/bucketV2:BucketV2"], 3)
	for _, o := range types["aws:s3/bucketObjectv2:BucketObjectv2"] {
		assert.Equal(t, key, o.Inputs["key"], "object %s", o.Name)
	}
	assert.Len(t, types["aws:cloudformation/stack:Stack"], 3, "one management-account stack per region")
	require.Len(t, types["aws:organizations/policy:Policy"], 1)
	assert.Equal(t, "SERVICE_CONTROL_POLICY", types["aws:organizations/policy:Policy"][0].Inputs["type"])
	assert.Len(t, types["aws:organizations/policyAttachment:PolicyAttachment"], 2, "one SCP attachment per target")
	assert.Len(t, types["pulumi:providers:aws"], 3, "one aws provider per region")
	assert.Equal(t, deploy.DeploymentOrder(settings.ModelPerRole), doc.DeploymentOrder)

	// The writer is built reproducibly: a second plan of the same tree is identical.
	_, again := planJSON(t, "--config", example)
	assert.Equal(t, out, again, "two plans of an unchanged tree differ")
}

func TestPlanShowsIdentityCenterLayer(t *testing.T) {
	doc, _ := planJSON(t, "--config", example)
	types := byType(doc.Resources)

	abac := types["aws:ssoadmin/instanceAccessControlAttributes:InstanceAccessControlAttributes"]
	require.Len(t, abac, 1)
	first := abac[0].Inputs["attributes"].([]any)[0].(map[string]any)
	assert.Equal(t, "SSMSessionRunAs", first["key"])
	assert.Equal(t, "${path:enterprise.costCenter}", first["values"].([]any)[0].(map[string]any)["sources"].([]any)[0])

	inline := types["aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"]
	assert.Len(t, inline, 4)
	for _, r := range inline {
		// Per role, sessions must carry one of the role users: a negated
		// operator also refuses a session without the tag.
		assert.Contains(t, r.Inputs["inlinePolicy"], `"StringNotEquals":{"aws:PrincipalTag/SSMSessionRunAs":["admin","developer","oracle","support"]}`, r.Name)
	}
	assert.Len(t, types["aws:ssoadmin/accountAssignment:AccountAssignment"], 6)
	template := types["aws:cloudformation/stackSet:StackSet"][0].Inputs["templateBody"].(string)
	assert.Contains(t, template, `"Type": "AWS::SSM::Association"`)
	assert.Contains(t, template, `"tag:ssm-runas:role-accounts"`, "the StackSet template carries the role-accounts association")
}

func TestPlanShowsEntraLayer(t *testing.T) {
	doc, out := planJSON(t, "--config", example)
	types := byType(doc.Resources)
	one := func(typ string) pulumimock.Row {
		require.Len(t, types[typ], 1, typ)
		return types[typ][0]
	}
	assert.Equal(t, "21ed01d2-ec13-4e9e-86c1-cd546719ebc4", one("azuread:index/applicationFromTemplate:ApplicationFromTemplate").Inputs["templateId"])
	assert.Equal(t, "saml", one("azuread:index/servicePrincipal:ServicePrincipal").Inputs["preferredSingleSignOnMode"])
	assert.Equal(t, "aWSSingleSignon", one("azuread:index/synchronizationJob:SynchronizationJob").Inputs["templateId"])
	one("azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate")
	one("azuread:index/synchronizationSecret:SynchronizationSecret")
	assert.Len(t, types["azuread:index/appRoleAssignment:AppRoleAssignment"], 4, "one app role assignment per role group")
	assert.NotContains(t, out, "plan-placeholder", "the SCIM token placeholder must print as [secret]")
}

func TestPlanTablePrintsDeploymentOrder(t *testing.T) {
	code, out, errOut := runCLI(t, "plan", "--config", example)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "aws:cloudformation/stackSet:StackSet")
	assert.Contains(t, errOut, "deployment order for a new organization")
	for i, s := range deploy.DeploymentOrder(settings.ModelPerRole) {
		assert.Contains(t, errOut, s.What, "step %d", i+1)
	}
}

// TestPlanOutsideTheCheckout runs plan as an installed binary would: from a
// directory that is not the checkout, with an absolute --config.
func TestPlanOutsideTheCheckout(t *testing.T) {
	abs, err := filepath.Abs(example)
	require.NoError(t, err)

	t.Run("source found", func(t *testing.T) {
		t.Chdir(t.TempDir())
		doc, _ := planJSON(t, "--config", abs)
		key := byType(doc.Resources)["aws:cloudformation/stackSet:StackSet"][0].Inputs["parameters"].(map[string]any)["ArtifactKey"]
		assert.Regexp(t, `^ssm-prefs-writer/[0-9a-f]{64}\.zip$`, key)
	})

	t.Run("source nowhere", func(t *testing.T) {
		withoutSource(t)
		code, out, errOut := runCLI(t, "plan", "--config", abs, "--output", "json")
		require.Equal(t, 0, code, errOut)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		assert.Len(t, lines, 1, "one line on stderr: %q", errOut)
		assert.Contains(t, errOut, "writer not built")
		assert.Contains(t, errOut, "writer.zipPath")
		assert.Contains(t, out, artifact.NotBuilt.Key(), "the plan shows the writer as not built")
	})

	t.Run("zipPath relative to the config file", func(t *testing.T) {
		dir := t.TempDir()
		z, err := artifact.BuildWriter(t.Context(), artifact.BuildOptions{OutDir: dir})
		require.NoError(t, err)
		cfg := writeVariant(t, "  shell: /bin/bash\n", "  shell: /bin/bash\nwriter:\n  zipPath: "+filepath.Base(z.Path)+"\n")
		require.NoError(t, copyFile(z.Path, filepath.Join(filepath.Dir(cfg), filepath.Base(z.Path))))
		t.Chdir(t.TempDir())
		doc, _ := planJSON(t, "--config", cfg)
		key := byType(doc.Resources)["aws:cloudformation/stackSet:StackSet"][0].Inputs["parameters"].(map[string]any)["ArtifactKey"]
		assert.Equal(t, z.Key(), key)
	})
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

const brokerExample = "../../examples/per-permission-set/runas.yaml"

// TestPlanShowsTheBroker plans the per-permission-set example: the broker's
// role, function, URL and resource policy in the management account, the
// callers' policy on the permission sets it serves, and the session role's
// rollout after the broker's role.
func TestPlanShowsTheBroker(t *testing.T) {
	c, err := settings.Load(brokerExample)
	require.NoError(t, err)
	doc, out := planJSON(t, "--config", brokerExample)
	types := byType(doc.Resources)
	one := func(typ string) pulumimock.Row {
		require.Len(t, types[typ], 1, typ)
		assert.Equal(t, "session-broker", types[typ][0].Parent, typ)
		assert.Equal(t, "aws-eu-west-1", types[typ][0].Provider, typ)
		return types[typ][0]
	}
	require.Len(t, types["ssm-runas:aws:SessionBroker"], 1)

	role := one("aws:iam/role:Role")
	assert.Equal(t, "ssm-runas-session-broker", role.Inputs["name"])
	assert.Contains(t, role.Inputs["assumeRolePolicy"], `"Service":"lambda.amazonaws.com"`)
	rolePolicy, err := brokerpolicy.BrokerRolePolicy(c.BrokerRoleArgs())
	require.NoError(t, err)
	assert.JSONEq(t, string(rolePolicy.JSON()), one("aws:iam/rolePolicy:RolePolicy").Inputs["policy"].(string))
	one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")

	fn := one("aws:lambda/function:Function")
	assert.Equal(t, "provided.al2023", fn.Inputs["runtime"])
	assert.Equal(t, []any{"arm64"}, fn.Inputs["architectures"])
	assert.Regexp(t, `^[A-Za-z0-9+/]{43}=$`, fn.Inputs["sourceCodeHash"], "the broker is built from the checkout")
	rules, err := json.Marshal(c.BrokerRules())
	require.NoError(t, err)
	assert.JSONEq(t, string(rules), fn.Inputs["environment"].(map[string]any)["variables"].(map[string]any)["SSM_RUNAS_BROKER_RULES"].(string))

	assert.Equal(t, "AWS_IAM", one("aws:lambda/functionUrl:FunctionUrl").Inputs["authorizationType"])
	perm := one("aws:lambda/permission:Permission")
	assert.Equal(t, "lambda:InvokeFunctionUrl", perm.Inputs["action"])
	assert.Equal(t, c.Organization.ID, perm.Inputs["principalOrgId"])
	assert.Equal(t, "AWS_IAM", perm.Inputs["functionUrlAuthType"])
	var urlInvoke pulumimock.Row
	for _, s := range types["aws:cloudformation/stack:Stack"] {
		if s.Parent == "session-broker" {
			urlInvoke = s
		}
	}
	require.Equal(t, "session-broker-url-invoke", urlInvoke.Name)
	assert.Contains(t, urlInvoke.Inputs["templateBody"], `"InvokedViaFunctionUrl": true`)

	// The permission sets the broker serves lose direct StartSession.
	inline := map[string]string{}
	for _, r := range types["aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"] {
		inline[strings.TrimSuffix(strings.TrimPrefix(r.Name, "permission-set-"), "-session-policy")] = r.Inputs["inlinePolicy"].(string)
	}
	require.Len(t, inline, 4)
	for _, role := range c.Roles {
		ps := role.PermissionSet.Name
		var d policy.Document
		var raw struct{ Statement []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(inline[ps]), &raw), ps)
		allowsStart := false
		for _, st := range raw.Statement {
			b, _ := json.Marshal(st["Action"])
			if st["Effect"] == "Allow" && strings.Contains(string(b), `"ssm:StartSession"`) {
				allowsStart = true
			}
		}
		if c.BrokerServes(ps) {
			d, err = brokerpolicy.CallerPolicy(c.BrokerCallerArgs(role.PermissionSet.AllowRunCommands))
			require.NoError(t, err)
			assert.JSONEq(t, string(d.JSON()), inline[ps], ps)
			assert.Contains(t, inline[ps], `"kms:GenerateDataKey"`, ps)
			assert.False(t, allowsStart, "%s goes through the broker: no StartSession of its own", ps)
			assert.Contains(t, inline[ps], `"Sid":"DenyDirectStartSession"`, ps)
		} else {
			assert.True(t, allowsStart, "%s starts sessions directly", ps)
		}
	}

	// The session role trusts the broker's role: the StackSet and the
	// management stacks wait for it.
	template := types["aws:cloudformation/stackSet:StackSet"][0].Inputs["templateBody"].(string)
	assert.Contains(t, template, c.BrokerRoleARN(), "the member template's session role trusts the broker's role")
	waiting := 0
	for _, r := range doc.Resources {
		if r.Type == "aws:cloudformation/stackSet:StackSet" || r.Type == "aws:cloudformation/stackSetInstance:StackSetInstance" ||
			(r.Type == "aws:cloudformation/stack:Stack" && strings.HasPrefix(r.Name, "management-")) {
			require.NotNil(t, r.Options, r.Name)
			assert.Contains(t, r.Options.DependsOn, "session-broker-role", r.Name)
			waiting++
		}
	}
	assert.Equal(t, 1+6+3, waiting)

	assert.Equal(t, deploy.DeploymentOrderFor(c), doc.DeploymentOrder)
	assert.Contains(t, out, broker.URLEnv+"=<brokerUrl>", "the plan names the variable connect reads")

	_, again := planJSON(t, "--config", brokerExample)
	assert.Equal(t, out, again, "the broker is built reproducibly: two plans of an unchanged tree are identical")
}

// withoutSource runs the rest of the test where plan finds no source to
// build the Lambda binaries from: outside the checkout, with a module
// directory that holds none.
func withoutSource(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	saved := planBuild
	planBuild.ModuleDir = t.TempDir()
	t.Cleanup(func() { planBuild = saved })
}

func TestPlanBrokerWithoutSource(t *testing.T) {
	abs, err := filepath.Abs(brokerExample)
	require.NoError(t, err)
	withoutSource(t)
	code, out, errOut := runCLI(t, "plan", "--config", abs, "--output", "json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "ssm-runas-broker not built")
	assert.Contains(t, errOut, "set broker.zipPath to a zip of "+artifact.ModulePath+"/cmd/ssm-runas-broker")
	var doc planDoc
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	fns := byType(doc.Resources)["aws:lambda/function:Function"]
	require.Len(t, fns, 1)
	assert.NotContains(t, fns[0].Inputs, "sourceCodeHash", "a broker that was not built has no digest to show")
	assert.Len(t, strings.Split(strings.TrimSpace(errOut), "\n"), 2, "one line for each Lambda: %q", errOut)
}
