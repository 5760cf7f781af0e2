package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const examplePerRole = "../../examples/per-role/runas.yaml"

// roleGroups are the example's role groups (Entra groups that SCIM
// provisions into the identity store under the same names).
var roleGroups = []string{"SG-AWS-SSM-Admin", "SG-AWS-SSM-Oracle", "SG-AWS-SSM-Developer", "SG-AWS-SSM-Support"}

// exampleAssignments is how many account assignments the example makes in
// NewWorld's organization: admin 4 accounts, oracle 2, developer 2
// (222222222222 is in the sandboxes OU too), support 2.
const exampleAssignments = 10

// layerVariants run a scenario on the AWS layers alone and with the Entra
// application, so that a failure in one layer does not hide the other's.
var layerVariants = []struct {
	name  string
	entra bool
}{
	{"organization and Identity Center", false},
	{"with the Entra application", true},
}

// deployedStack returns a stack of the example deployed once into an
// organization whose identity store SCIM has provisioned.
func deployedStack(t *testing.T, entra bool) *Stack {
	t.Helper()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerRole)
	if !entra {
		delete(s.Settings, "entra")
	}
	up := s.Up()
	require.NoError(t, up.Err, "first deployment: %s", strings.Join(up.Messages, "\n"))
	require.Len(t, w.Resources(typeAccountAssignment), exampleAssignments, "first deployment: assignments")
	return s
}

// TestFirstDeploymentOnAnEmptyIdentityStore follows a new organization:
// nothing in the identity store (SCIM needs the Entra application this very
// deployment creates) and no SCIM token yet (Identity Center issues it once
// the identity source is switched to Entra). Preview and update must
// succeed and name what comes next; once the token is stored and SCIM has
// provisioned the groups, the next updates complete the assignments.
func TestFirstDeploymentOnAnEmptyIdentityStore(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	s := NewStack(t, w, examplePerRole)
	delete(s.Config, "ssm-runas:scimToken")

	preview := s.Preview()
	require.NoError(t, preview.Err, "preview on a fresh organization: %s", strings.Join(preview.Messages, "\n"))

	first := s.Up()
	require.NoError(t, first.Err, "first update on a fresh organization: %s", strings.Join(first.Messages, "\n"))
	said := strings.Join(append(outputStrings(first.Outputs), first.Messages...), "\n")
	for _, g := range roleGroups {
		assert.Contains(t, said, g, "the first deployment must say that group %s is not provisioned yet (stack outputs or messages)", g)
	}
	assert.Contains(t, said, "ssm-runas:scimToken", "the first deployment must say that the SCIM token is to be stored next")
	assert.Empty(t, w.Resources(typeAccountAssignment), "no assignment can exist before SCIM has provisioned the groups")
	assert.Empty(t, w.Resources(typeSynchronizationJob), "no provisioning job before the SCIM token is stored")
	assert.Empty(t, first.Deletes(), "first deployment")

	// Identity Center issued the SCIM token; the stack stores it.
	s.Config["ssm-runas:scimToken"] = "scim-token-from-identity-center"
	second := s.Up()
	require.NoError(t, second.Err, "update with the SCIM token: %s", strings.Join(second.Messages, "\n"))
	assert.Len(t, w.Resources(typeSynchronizationJob), 1, "the provisioning job starts once the real token is stored")
	assert.Empty(t, second.Deletes(), "update with the SCIM token")

	// SCIM has provisioned the role groups.
	w.ProvisionGroups(roleGroups...)
	third := s.Up()
	require.NoError(t, third.Err, "update after SCIM provisioned the groups: %s", strings.Join(third.Messages, "\n"))
	assert.Len(t, w.Resources(typeAccountAssignment), exampleAssignments, "every role's group is assigned in every account once it exists")
	assert.Empty(t, third.Deletes(), "update after SCIM provisioned the groups")
}

// TestLayersInStacksOfTheirOwn deploys the Entra application and the AWS
// side as two stacks of the same settings (ssm-runas:layers entra and aws),
// as an organization whose identity and cloud teams hold different
// credentials does: each stack deploys its layer only, both first runs
// succeed on a fresh organization, and later runs of both are quiet.
func TestLayersInStacksOfTheirOwn(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	entra := NewStack(t, w, examplePerRole)
	entra.Config["ssm-runas:layers"] = "entra"
	aws := NewStack(t, w, examplePerRole)
	aws.Config["ssm-runas:layers"] = "aws"
	aws.Settings["writer"] = entra.Settings["writer"]

	for _, st := range []struct {
		name  string
		stack *Stack
		other string
	}{{"entra", entra, "aws:"}, {"aws", aws, "azuread:"}} {
		up := st.stack.Up()
		require.NoError(t, up.Err, "%s stack: %s", st.name, strings.Join(up.Messages, "\n"))
		for _, step := range up.Steps {
			assert.False(t, strings.HasPrefix(step.Type, st.other), "the %s stack deploys %s %s", st.name, step.Type, step.URN.Name())
		}
	}
	assert.Len(t, w.Resources(typeAppFromTemplate), 1, "the Entra stack deploys the application")
	assert.Len(t, w.Resources(typeStackSet), 1, "the AWS stack deploys the StackSet")

	w.ProvisionGroups(roleGroups...)
	up := aws.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Len(t, w.Resources(typeAccountAssignment), exampleAssignments, "assignments once SCIM has provisioned the groups")
	for name, st := range map[string]*Stack{"entra": entra, "aws": aws} {
		again := st.Up()
		require.NoError(t, again.Err, "%s stack: %s", name, strings.Join(again.Messages, "\n"))
		assert.Empty(t, stepStrings(again.Changed()), "the %s stack's next run", name)
	}
}

// TestPerUserModelDeploysAndStaysQuiet runs the per-user example the way a
// new organization does (its groups exist in Entra, not yet in the
// identity store; no SCIM token), then with the token and the groups
// provisioned, then once more: every run succeeds, and the last changes
// nothing.
func TestPerUserModelDeploysAndStaysQuiet(t *testing.T) {
	t.Parallel()
	const example = "../../examples/per-user/runas.yaml"
	w := NewWorld()
	s := NewStack(t, w, example)
	groups := entraGroupsIn(s.Settings)
	require.NotEmpty(t, groups, "the per-user example names its Entra groups")
	w.AddEntraGroups(groups...)
	delete(s.Config, "ssm-runas:scimToken")

	first := s.Up()
	require.NoError(t, first.Err, "first update: %s", strings.Join(first.Messages, "\n"))
	said := strings.Join(append(outputStrings(first.Outputs), first.Messages...), "\n")
	for _, g := range groups {
		assert.Contains(t, said, g, "the first deployment must say that group %s is not provisioned yet", g)
	}

	s.Config["ssm-runas:scimToken"] = "scim-token-from-identity-center"
	w.ProvisionGroups(groups...)
	second := s.Up()
	require.NoError(t, second.Err, "update with the token and the groups: %s", strings.Join(second.Messages, "\n"))
	assert.NotEmpty(t, w.Resources(typeAccountAssignment), "the groups are assigned once they exist")
	assert.Empty(t, stepStrings(second.Deletes()), "steps that delete or replace")

	third := s.Up()
	require.NoError(t, third.Err, strings.Join(third.Messages, "\n"))
	assert.Empty(t, stepStrings(third.Changed()), "the run after")
}

// entraGroupsIn returns every entraGroup the settings name.
func entraGroupsIn(settings map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if g, ok := e.(string); ok && k == "entraGroup" && !slices.Contains(out, g) {
					out = append(out, g)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(settings)
	slices.Sort(out)
	return out
}

// TestSecondUpReportsNoChanges deploys the example, then previews and
// updates again with nothing changed: nothing may change, in particular no
// organization-wide UpdateStackSet because the service reports
// administrationRoleArn for a service-managed StackSet.
func TestSecondUpReportsNoChanges(t *testing.T) {
	t.Parallel()
	for _, v := range layerVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			s := deployedStack(t, v.entra)

			preview := s.Preview()
			require.NoError(t, preview.Err, strings.Join(preview.Messages, "\n"))
			assert.Empty(t, stepStrings(preview.Changed()), "preview after a deployment with nothing changed")

			up := s.Up()
			require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
			assert.Empty(t, stepStrings(up.Changed()), "update after a deployment with nothing changed")
			assert.Empty(t, up.Changes, "provider calls that change something")
		})
	}
}

// TestAddingAnOUAndARegionDeletesNothing extends the rollout to one more
// OU (StackSet target, SCP target and admin's assignments) and one more
// region: nothing already deployed may be deleted or replaced (deleting a
// StackSet instance makes the writer restore the old documents in every
// account of its OUs, turning Run As off), and nobody may lose access while
// the update runs.
func TestAddingAnOUAndARegionDeletesNothing(t *testing.T) {
	t.Parallel()
	for _, v := range layerVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			s := deployedStack(t, v.entra)
			stacksBefore := s.World.MemberStacks()
			access := newAccessTracker(s.World)

			org := s.Settings["organization"].(map[string]any)
			org["targets"] = append(org["targets"].([]any), "ou-a1b2-newteam01")
			org["regions"] = append(org["regions"].([]any), "ap-southeast-2")
			admin := role(t, s, "admin")
			admin["assignments"] = append(admin["assignments"].([]any), "ou-a1b2-newteam01")

			up := s.Up()
			require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
			assert.Empty(t, stepStrings(up.Deletes()), "steps that delete or replace")
			assert.Empty(t, deletions(up.Changes), "provider deletions")
			access.replay(t, up.Changes)

			stacks := s.World.MemberStacks()
			for k, n := range stacksBefore {
				assert.GreaterOrEqual(t, stacks[k], n, "StackSet stacks in %s", k)
			}
			for _, region := range []string{"eu-west-1", "eu-central-1", "us-east-1", "ap-southeast-2"} {
				assert.Positive(t, stacks["666666666666/"+region], "the new OU's account gets the preferences in %s", region)
			}
			assert.Positive(t, stacks["333333333333/ap-southeast-2"], "existing accounts get the preferences in the new region")
			assert.Len(t, s.World.Resources(typeAccountAssignment), exampleAssignments+1, "admin is assigned in the new OU's account")
		})
	}
}

// TestRemovingAnOUDeletesOnlyItsInstances takes one OU out of the rollout
// (StackSet and SCP targets): only that OU's StackSet instances and SCP
// attachment go; the other OU's accounts keep their preferences, and the
// role assignments, which the roles list separately, stay.
func TestRemovingAnOUDeletesOnlyItsInstances(t *testing.T) {
	t.Parallel()
	const removed = "ou-a1b2-sandboxes1"
	s := deployedStack(t, false)
	stacksBefore := s.World.MemberStacks()
	org := s.Settings["organization"].(map[string]any)
	var kept []any
	for _, ou := range org["targets"].([]any) {
		if ou != removed {
			kept = append(kept, ou)
		}
	}
	org["targets"] = kept

	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	deleted := deletions(up.Changes)
	assert.NotEmpty(t, deleted, "the OU's instances are deleted")
	for _, op := range up.Changes {
		if op.Op == "delete" {
			assert.Contains(t, string(op.ID), removed, "%s %s does not belong to %s", op.Type, op.URN.Name(), removed)
		}
	}
	stacks := s.World.MemberStacks()
	for _, a := range s.World.OUs["ou-a1b2-workloads1"] {
		for _, region := range []string{"eu-west-1", "eu-central-1", "us-east-1"} {
			k := a.ID + "/" + region
			assert.Equal(t, stacksBefore[k], stacks[k], "StackSet stacks in %s", k)
		}
	}
	assert.Len(t, s.World.Resources(typeAccountAssignment), exampleAssignments, "assignments")
}

// TestRenamingARoleDeletesNothingBeforeItsReplacementExists renames a role
// (its name only: same group, permission set name, Linux user). Identity
// Center refuses a second permission set with the same name, so creating
// the new one first fails, and deleting the old one first leaves the
// group without access: neither may happen.
func TestRenamingARoleDeletesNothingBeforeItsReplacementExists(t *testing.T) {
	t.Parallel()
	for _, v := range layerVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			s := deployedStack(t, v.entra)
			access := newAccessTracker(s.World)
			role(t, s, "support")["name"] = "helpdesk"

			up := s.Up()
			require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
			assertDeletesFollowCreates(t, up.Changes)
			access.replay(t, up.Changes)
			assert.Len(t, s.World.Resources(typePermissionSet), 4, "one permission set per role")
			assert.Len(t, s.World.Resources(typeAccountAssignment), exampleAssignments, "assignments after the rename")
		})
	}
}

// TestRemovingARoleDeletesOnlyItsResources removes one role: its
// permission set, assignments and Entra app role assignment go, and
// nothing else is deleted or replaced (the StackSet template may change in
// place: the role's Linux account is no longer created).
func TestRemovingARoleDeletesOnlyItsResources(t *testing.T) {
	t.Parallel()
	for _, v := range layerVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			s := deployedStack(t, v.entra)
			access := newAccessTracker(s.World)
			owned := ownedBy(t, s, "support")
			removeRole(t, s, "support")

			up := s.Up()
			require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
			for _, st := range up.Deletes() {
				assert.Contains(t, owned, st.URN, "%s does not belong to the removed role", st)
				assert.NotEqual(t, deploy.OpReplace, st.Op, "%s: removing a role replaces nothing", st)
				assert.NotEqual(t, deploy.OpCreateReplacement, st.Op, "%s: removing a role replaces nothing", st)
			}
			assert.NotContains(t, permissionSetNames(s.World), "SSM-Support", "the removed role's permission set is deleted")
			assert.Len(t, s.World.Resources(typeAccountAssignment), exampleAssignments-2, "the removed role's assignments are deleted")
			if v.entra {
				assert.Len(t, s.World.Resources(typeAppRoleAssignment), len(roleGroups)-1, "the removed role's group leaves the application")
			}
			access.replay(t, up.Changes, s.World.GroupID("SG-AWS-SSM-Support"))
		})
	}
}

// TestANewWriterKeepsTheOldZip deploys a new build of the preferences
// writer: the new zip is uploaded next to the old one, and the old one is
// not deleted, so that a StackSet rollback (or an account still on the
// previous template) finds its code.
func TestANewWriterKeepsTheOldZip(t *testing.T) {
	t.Parallel()
	s := deployedStack(t, false)
	before := s.World.Resources(typeBucketObject)
	require.NotEmpty(t, before, "the first deployment uploads the writer")
	s.Settings["writer"].(map[string]any)["zipPath"] = WriterZip(t, "writer stand-in, next build")

	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Empty(t, deletions(up.Changes), "provider deletions")
	after := s.World.Resources(typeBucketObject)
	assert.Subset(t, after, before, "the previous zips stay")
	assert.Len(t, after, 2*len(before), "the new zip is uploaded in every region")
	lastUpload, rollout := -1, -1
	for i, op := range up.Changes {
		switch {
		case op.Op == "create" && op.Type == typeBucketObject:
			lastUpload = i
		case op.Op == "update" && op.Type == typeStackSet && rollout < 0:
			rollout = i
		}
	}
	require.GreaterOrEqual(t, rollout, 0, "the StackSet rolls out the new key")
	assert.Greater(t, rollout, lastUpload, "the StackSet rolls the new key out to every region only once every region has the zip")
}

// TestAdoptingWhatExistsImportsIt deploys into an organization that
// already has an ABAC configuration on its Identity Center instance and an
// instance of the gallery application (Identity Center holds one ABAC
// configuration per instance; Entra refuses a second application with the
// same identifier URI). With the adopt section the first deployment imports
// them instead of creating them, replacing and deleting nothing, and the
// next run is quiet. (This engine imports, then updates in the same run
// whatever differs from the configuration: the preview shows it.)
func TestAdoptingWhatExistsImportsIt(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerRole)

	ic := s.Settings["identityCenter"].(map[string]any)
	attrs := [][2]string{{"SSMSessionRunAs", ic["runAsSource"].(string)}}
	for _, o := range ic["otherAttributes"].([]any) {
		attrs = append(attrs, [2]string{o.(map[string]any)["key"].(string), o.(map[string]any)["source"].(string)})
	}
	w.SeedAccessControlAttributes(ic["region"].(string), ic["instanceArn"].(string), attrs)
	entra := s.Settings["entra"].(map[string]any)
	var acs []string
	for _, u := range entra["acsUrls"].([]any) {
		acs = append(acs, u.(string))
	}
	app, sp := w.SeedGalleryApplication(entra["applicationName"].(string), entra["identifierUri"].(string), acs)
	s.Settings["adopt"] = map[string]any{
		"accessControlAttributes": true,
		"entraApplication":        map[string]any{"applicationObjectId": app, "servicePrincipalObjectId": sp},
	}

	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	imported := map[string]bool{}
	for _, st := range up.Steps {
		if st.Op == deploy.OpImport {
			imported[st.Type] = true
		}
	}
	for _, typ := range []string{typeAccessControlAttrs, typeAppFromTemplate, typeIdentifierURI, typeRedirectURIs} {
		assert.True(t, imported[typ], "%s is imported", typ)
	}
	assert.Empty(t, stepStrings(up.Deletes()), "steps that delete or replace")
	assert.Len(t, w.Resources(typeAccessControlAttrs), 1, "one ABAC configuration")
	assert.Len(t, w.Resources(typeAppFromTemplate), 1, "one gallery application")
	assert.Len(t, w.Resources(typeAccountAssignment), exampleAssignments)

	again := s.Up()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	assert.Empty(t, stepStrings(again.Changed()), "the run after the adoption")
}

// TestChangesThatWouldReplaceTheStackSetAreRefusedOrApplied changes what
// the StackSet cannot change in place: its home region (the provider of
// another region replaces it, and every resource on that provider) and its
// auto-deployment settings (ForceNew). A replacement StackSet with the same
// name is refused, and so is a second SCP with the same name. The change
// must either be refused with a reason naming the setting before anything
// changes, or be applied: one StackSet with the new setting, one SCP, and
// every account keeping its preferences.
func TestChangesThatWouldReplaceTheStackSetAreRefusedOrApplied(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		setting string
		change  func(org map[string]any)
		applied func(ss *record) bool
	}{
		{
			name:    "home region",
			setting: "homeRegion",
			change:  func(org map[string]any) { org["homeRegion"] = "eu-central-1" },
			applied: func(ss *record) bool { return ss.region == "eu-central-1" },
		},
		{
			name:    "auto-deployment",
			setting: "retainStacksOnAccountRemoval",
			change: func(org map[string]any) {
				org["stackSet"].(map[string]any)["retainStacksOnAccountRemoval"] = true
			},
			applied: func(ss *record) bool {
				v := plain(object(ss.outputs, "autoDeployment")["retainStacksOnAccountRemoval"])
				return v.IsBool() && v.BoolValue()
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := deployedStack(t, false)
			stacksBefore := s.World.MemberStacks()
			tc.change(s.Settings["organization"].(map[string]any))

			up := s.Up()
			if up.Err != nil {
				// The program protects the StackSet, so the engine refuses
				// the replacement before anything changes. Its message names
				// the StackSet, not the setting: docs/deploy.md lists the
				// settings that replace it and how to change them.
				msg := up.Err.Error()
				if !strings.Contains(msg, tc.setting) {
					assert.Contains(t, msg, "marked for protection", "a refusal names the setting, or is the StackSet's protection")
					assert.Contains(t, msg, "session-preferences-stackset", "the protection refusal names the StackSet")
				}
				assert.Empty(t, up.Changes, "a refused change changes nothing; it changed %v", up.Changes)
				return
			}
			var stackSets []*record
			s.World.mu.Lock()
			for k, r := range s.World.records {
				if k.typ == typeStackSet {
					stackSets = append(stackSets, r)
				}
			}
			s.World.mu.Unlock()
			require.Len(t, stackSets, 1, "one StackSet")
			assert.True(t, tc.applied(stackSets[0]), "the StackSet has the new %s", tc.setting)
			assert.Len(t, s.World.Resources(typeOrgPolicy), 1, "one SCP")
			stacks := s.World.MemberStacks()
			for k, n := range stacksBefore {
				assert.GreaterOrEqual(t, stacks[k], n, "StackSet stacks in %s", k)
			}
		})
	}
}

// TestStackSetOperationsWaitLongEnough checks the timeouts the provider
// receives for StackSet and instance operations: the Terraform defaults
// (30 minutes for an update, a create or a delete of instances) are
// short for an organization of hundreds of accounts deployed a few at a
// time, and a timed-out operation leaves the stack in a failed state while
// CloudFormation carries on.
func TestStackSetOperationsWaitLongEnough(t *testing.T) {
	t.Parallel()
	const atLeast = 2 * 60 * 60 // seconds
	s := deployedStack(t, false)
	prefs := s.Settings["sessionPreferences"].(map[string]any)
	prefs["idleSessionTimeoutMinutes"] = 30
	org := s.Settings["organization"].(map[string]any)
	org["targets"] = append(org["targets"].([]any), "ou-a1b2-newteam01")
	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	ops := s.World.Log()
	seen := map[string]bool{}
	for _, op := range ops {
		if op.Type != typeStackSet && op.Type != typeStackSetInstance {
			continue
		}
		seen[op.Op+" "+op.Type] = true
		assert.GreaterOrEqual(t, op.Timeout, float64(atLeast), "%s %s %s: timeout", op.Op, op.Type, op.URN.Name())
	}
	for _, want := range []string{"create " + typeStackSet, "create " + typeStackSetInstance, "update " + typeStackSet} {
		assert.True(t, seen[want], "the scenario ran a %s", want)
	}
}

// TestStackSetWaitsForTheWriterCode checks the order of the first
// deployment: a StackSet instance or management account stack in a region
// is created only once that region's writer zip is uploaded and its bucket
// policy lets the organization read it (a stack created earlier fails to
// fetch the Lambda code, and the failure rolls back).
func TestStackSetWaitsForTheWriterCode(t *testing.T) {
	t.Parallel()
	s := deployedStack(t, false)
	assertCodeUploadedFirst(t, s.World.Log(), typeBucketObject, typeBucketPolicy)
}

// assertCodeUploadedFirst checks that every StackSet instance and
// management stack created in a region comes after the creation, in that
// region, of a resource of each of the given types.
func assertCodeUploadedFirst(t *testing.T, ops []Operation, types ...string) {
	t.Helper()
	first := map[string]int{}
	checked := 0
	for i, op := range ops {
		if op.Op == "create" && slices.Contains(types, op.Type) {
			if _, ok := first[op.Type+" "+op.Region]; !ok {
				first[op.Type+" "+op.Region] = i
			}
		}
		region := op.Region
		switch {
		case op.Op == "create" && op.Type == typeStackSetInstance:
			region = string(op.ID[strings.LastIndex(string(op.ID), ",")+1:])
		case op.Op == "create" && op.Type == typeStack:
		default:
			continue
		}
		checked++
		for _, typ := range types {
			j, ok := first[typ+" "+region]
			assert.True(t, ok && j < i, "%s %s (step %d) is created before the %s in %s", op.Type, op.URN.Name(), i, typ, region)
		}
	}
	assert.Positive(t, checked, "the deployment creates StackSet instances or management stacks")
}

// TestStackAWSSettingsReachEveryProvider sets the stack's aws:profile and
// aws:assumeRole, as an organization deploying from a pipeline does: every
// aws provider the program uses must carry them (explicit providers do not
// read the stack configuration), and there is one provider per region.
func TestStackAWSSettingsReachEveryProvider(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerRole)
	s.Config["aws:profile"] = "org-deployer"
	s.Config["aws:assumeRole"] = `{"roleArn":"arn:aws:iam::111111111111:role/ssm-runas-deployer","sessionName":"ssm-runas"}`

	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	perRegion := map[string][]string{}
	for urn, in := range s.Providers("aws") {
		assert.Equal(t, "org-deployer", str(in, "profile"), "%s: aws:profile", urn.Name())
		assert.Equal(t, "arn:aws:iam::111111111111:role/ssm-runas-deployer", str(object(in, "assumeRole"), "roleArn"), "%s: aws:assumeRole", urn.Name())
		perRegion[str(in, "region")] = append(perRegion[str(in, "region")], urn.Name())
	}
	for _, region := range []string{"eu-west-1", "eu-central-1", "us-east-1"} {
		assert.Len(t, perRegion[region], 1, "aws providers in %s", region)
	}
}

// TestManagedPoliciesWithTheSameNameAttach gives a role an AWS managed
// policy and a customer managed policy with the same name under a path:
// resource names must not collide (the engine refuses duplicate URNs), and
// the customer managed one is attached by name and path (the managed policy
// attachment accepts AWS managed policies only).
func TestManagedPoliciesWithTheSameNameAttach(t *testing.T) {
	t.Parallel()
	w := NewWorld()
	w.ProvisionGroups(roleGroups...)
	s := NewStack(t, w, examplePerRole)
	delete(s.Settings, "entra")
	admin := role(t, s, "admin")
	admin["permissionSet"].(map[string]any)["managedPolicyArns"] = []any{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::111111111111:policy/corp/ReadOnlyAccess",
	}

	up := s.Up()
	require.NoError(t, up.Err, strings.Join(up.Messages, "\n"))
	assert.Len(t, w.Resources(typeManagedPolicy), 1, "the AWS managed policy")
	custom := w.Resources(typeCustomerPolicy)
	require.Len(t, custom, 1, "the customer managed policy")
	assert.True(t, strings.HasPrefix(string(custom[0]), "ReadOnlyAccess,/corp/,"), "attached by name and path: %s", custom[0])

	again := s.Up()
	require.NoError(t, again.Err, strings.Join(again.Messages, "\n"))
	assert.Empty(t, stepStrings(again.Changed()), "the run after")
}

// TestAccountsWithoutStatusKeepTheirAssignments runs after Organizations
// has stopped reporting the accounts' Status (it is retiring it in favour
// of State): the OU lookups then report no status, and reading that as
// "not active" would delete every assignment. The update must delete
// nothing; failing with a reason is acceptable.
func TestAccountsWithoutStatusKeepTheirAssignments(t *testing.T) {
	t.Parallel()
	s := deployedStack(t, false)
	s.World.RetireAccountStatus()

	up := s.Up()
	assert.Empty(t, deletions(up.Changes), "provider deletions")
	assert.Len(t, s.World.Resources(typeAccountAssignment), exampleAssignments, "assignments")
	if up.Err != nil {
		assert.Contains(t, strings.ToLower(up.Err.Error()), "status", "a failure says why")
	}
}

// role returns the named role of the stack's settings, to edit.
func role(t *testing.T, s *Stack, name string) map[string]any {
	t.Helper()
	for _, r := range s.Settings["roles"].([]any) {
		if m := r.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no role %q in the settings", name)
	return nil
}

func removeRole(t *testing.T, s *Stack, name string) {
	t.Helper()
	var kept []any
	for _, r := range s.Settings["roles"].([]any) {
		if r.(map[string]any)["name"] != name {
			kept = append(kept, r)
		}
	}
	require.Len(t, kept, len(s.Settings["roles"].([]any))-1, "role %s", name)
	s.Settings["roles"] = kept
}

// ownedBy returns the URNs in the stack's state that belong to a role: the
// resources whose inputs or outputs name the role's permission set or its
// groups, the resources under a component that belongs, and the components
// all of whose children belong.
func ownedBy(t *testing.T, s *Stack, name string) map[resource.URN]bool {
	t.Helper()
	r := role(t, s, name)
	ps := r["permissionSet"].(map[string]any)["name"].(string)
	group := r["entraGroup"].(string)
	marks := map[string]bool{ps: true}
	s.World.mu.Lock()
	if id := s.World.groups[group]; id != "" {
		marks[id] = true
	}
	if id := s.World.entraGroups[group]; id != "" {
		marks[id] = true
	}
	for k, rec := range s.World.records {
		if k.typ == typePermissionSet && str(rec.outputs, "name") == ps {
			marks[str(rec.outputs, "arn")] = true
		}
	}
	s.World.mu.Unlock()

	owned := map[resource.URN]bool{}
	children := map[resource.URN][]resource.URN{}
	for _, st := range s.snap.Resources {
		if st.Parent != "" {
			children[st.Parent] = append(children[st.Parent], st.URN)
		}
		if st.Custom && (mentions(st.Inputs, marks) || mentions(st.Outputs, marks)) {
			owned[st.URN] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, st := range s.snap.Resources {
			if owned[st.URN] {
				continue
			}
			// A component belongs when everything it manages does (the
			// providers under it follow it).
			all := len(children[st.URN]) > 0 && !st.Custom
			for _, c := range children[st.URN] {
				all = all && (owned[c] || providers.IsProviderType(c.Type()))
			}
			if all || (st.Parent != "" && owned[st.Parent]) {
				owned[st.URN] = true
				changed = true
			}
		}
	}
	return owned
}

// mentions reports whether any string in m equals one of marks.
func mentions(m resource.PropertyMap, marks map[string]bool) bool {
	found := false
	var walk func(v resource.PropertyValue)
	walk = func(v resource.PropertyValue) {
		v = plain(v)
		switch {
		case v.IsString():
			found = found || marks[v.StringValue()]
		case v.IsArray():
			for _, e := range v.ArrayValue() {
				walk(e)
			}
		case v.IsObject():
			for _, e := range v.ObjectValue() {
				walk(e)
			}
		}
	}
	walk(resource.NewObjectProperty(m))
	return found
}

func permissionSetNames(w *World) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k, r := range w.records {
		if k.typ == typePermissionSet {
			out = append(out, str(r.outputs, "name"))
		}
	}
	return out
}

// assertDeletesFollowCreates checks that the provider deleted no resource
// before every resource of the same type that this update created existed.
func assertDeletesFollowCreates(t *testing.T, ops []Operation) {
	t.Helper()
	lastCreate := map[string]int{}
	for i, op := range ops {
		if op.Op == "create" {
			lastCreate[op.Type] = i
		}
	}
	for i, op := range ops {
		if op.Op == "delete" {
			if last, ok := lastCreate[op.Type]; ok && last > i {
				assert.Failf(t, "deleted before its replacement exists",
					"%s %s deleted at step %d, before %s was created at step %d",
					op.Type, op.URN.Name(), i, ops[last].URN.Name(), last)
			}
		}
	}
}

// accessTracker follows who can sign in where: the (group, account) pairs
// of the account assignments.
type accessTracker struct {
	before map[string]int
}

func newAccessTracker(w *World) *accessTracker {
	a := &accessTracker{before: map[string]int{}}
	for _, id := range w.Resources(typeAccountAssignment) {
		a.before[accessPair(id)]++
	}
	return a
}

// accessPair is "group id/account" of an assignment id
// (principal,type,target,targetType,permissionSet,instance).
func accessPair(id resource.ID) string {
	parts := strings.Split(string(id), ",")
	return parts[0] + "/" + parts[2]
}

// replay applies the update's provider changes in order and fails if a
// group loses access to an account at any point, except for the groups
// whose access ends on purpose (identity store ids).
func (a *accessTracker) replay(t *testing.T, ops []Operation, ending ...string) {
	t.Helper()
	live := map[string]int{}
	for k, v := range a.before {
		live[k] = v
	}
	for i, op := range ops {
		if op.Type != typeAccountAssignment {
			continue
		}
		pair := accessPair(op.ID)
		switch op.Op {
		case "create":
			live[pair]++
		case "delete":
			live[pair]--
			group, _, _ := strings.Cut(pair, "/")
			if live[pair] == 0 && !slices.Contains(ending, group) {
				assert.Failf(t, "access lost during the update",
					"group/account %s has no assignment after step %d (%s %s)", pair, i, op.Op, op.URN.Name())
			}
		}
	}
}

func deletions(ops []Operation) []string {
	var out []string
	for _, op := range ops {
		if op.Op == "delete" {
			out = append(out, fmt.Sprintf("%s %s", op.Type, op.URN.Name()))
		}
	}
	return out
}

func stepStrings(steps []Step) []string {
	out := make([]string, 0, len(steps))
	for _, s := range steps {
		out = append(out, s.String())
	}
	return out
}

// outputStrings returns every string in the stack outputs.
func outputStrings(m resource.PropertyMap) []string {
	var out []string
	var walk func(v resource.PropertyValue)
	walk = func(v resource.PropertyValue) {
		v = plain(v)
		switch {
		case v.IsString():
			out = append(out, v.StringValue())
		case v.IsArray():
			for _, e := range v.ArrayValue() {
				walk(e)
			}
		case v.IsObject():
			for _, e := range v.ObjectValue() {
				walk(e)
			}
		}
	}
	walk(resource.NewObjectProperty(m))
	return out
}
