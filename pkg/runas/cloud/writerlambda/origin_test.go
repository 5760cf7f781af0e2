package writerlambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/writerlambda"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// memberStack creates, on moto, the member template's writer part: its
// role, its function (code inline, as moto runs no S3 artifact) with the
// stack id in its environment, and the custom resource. moto then holds the
// stack in CREATE_IN_PROGRESS, waiting for the writer's answer, exactly as
// CloudFormation does. It returns the stack id.
func memberStack(t *testing.T, api *cloudformation.Client) string {
	t.Helper()
	tpl, err := cfn.MemberTemplate(cfn.MemberArgs{Preferences: sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(tpl.JSON(), &doc))
	delete(doc, "Parameters")
	resources := doc["Resources"].(map[string]any)
	fn := resources[cfn.LogicalWriterFunction].(map[string]any)["Properties"].(map[string]any)
	fn["Code"] = map[string]any{"ZipFile": "placeholder: moto does not run the function"}
	body, err := json.Marshal(doc)
	require.NoError(t, err)
	out, err := api.CreateStack(motoserver.Context(t), &cloudformation.CreateStackInput{
		StackName:    aws.String("StackSet-ssm-runas-test"),
		TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam},
	})
	require.NoError(t, err)
	return aws.ToString(out.StackId)
}

func stackStatus(t *testing.T, api *cloudformation.Client, stack string) cfntypes.StackStatus {
	t.Helper()
	out, err := api.DescribeStacks(motoserver.Context(t), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	require.NoError(t, err)
	require.Len(t, out.Stacks, 1)
	return out.Stacks[0].StackStatus
}

// TestForgedEventsAgainstMoto runs the real Create on moto, then sends the
// writer the events a member-account administrator could forge by invoking
// the function directly, and checks that each is refused and nothing is
// written.
func TestForgedEventsAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	docs := ssm.NewFromConfig(srv.Config(region))
	stacks := cloudformation.NewFromConfig(srv.Config(region))
	seedConsole(t, docs)
	stack := memberStack(t, stacks)
	require.Equal(t, cfntypes.StackStatusCreateInProgress, stackStatus(t, stacks, stack), "setup: moto waits for the writer")

	cf := newCloudFormation(t, srv.URL)
	h := &writerlambda.Handler{API: docs, Stack: stacks, Self: mustSelf(t, stack), HTTP: cf.client()}

	// The legitimate Create: moto's record says the resource is being created.
	require.NoError(t, h.Handle(ctx, event(t, stack, "Create", "", "ssm-fallback")))
	created := cf.last(t)
	require.Equal(t, "SUCCESS", created.Status, created.Reason)
	assert.Equal(t, "ssm-runas:SSM-SessionManagerRunShell:prior=1", created.PhysicalResourceID)
	assert.Equal(t, cfntypes.StackStatusCreateComplete, stackStatus(t, stacks, stack), "moto completed the stack on the writer's answer")
	before := read(t, docs)
	require.Equal(t, "2", before.DefaultVersion)

	unchanged := func(t *testing.T) {
		t.Helper()
		st := read(t, docs)
		assert.Equal(t, before.DefaultVersion, st.DefaultVersion, "default version moved")
		assert.Equal(t, before.LatestVersion, st.LatestVersion, "a version was written")
		assert.True(t, st.Current.Default.Equal(*before.Current.Default), "content changed: %+v", st.Current.Default)
	}
	answeredRefusal := func(t *testing.T, want string) {
		t.Helper()
		resp := cf.last(t)
		assert.Equal(t, "FAILED", resp.Status)
		assert.Contains(t, resp.Reason, "refused: ")
		assert.Contains(t, resp.Reason, want)
	}

	t.Run("forged Update with other preferences", func(t *testing.T) {
		ev := event(t, stack, "Update", created.PhysicalResourceID, "ec2-user")
		require.NoError(t, h.Handle(ctx, ev))
		answeredRefusal(t, "CloudFormation records SessionPreferences as CREATE_COMPLETE")
		unchanged(t)
	})

	t.Run("forged Delete with a fabricated prior state", func(t *testing.T) {
		// prior=absent would delete the document: Run As off everywhere.
		ev := event(t, stack, "Delete", "ssm-runas:SSM-SessionManagerRunShell:prior=absent", "ssm-fallback")
		require.NoError(t, h.Handle(ctx, ev))
		answeredRefusal(t, "DELETE_IN_PROGRESS")
		unchanged(t)
	})

	t.Run("forged Delete replaying the real physical id", func(t *testing.T) {
		require.NoError(t, h.Handle(ctx, event(t, stack, "Delete", created.PhysicalResourceID, "ssm-fallback")))
		answeredRefusal(t, "CREATE_COMPLETE")
		unchanged(t)
	})

	t.Run("forged Create", func(t *testing.T) {
		require.NoError(t, h.Handle(ctx, event(t, stack, "Create", "", "ubuntu")))
		answeredRefusal(t, "CREATE_COMPLETE")
		unchanged(t)
	})

	t.Run("wrong StackId", func(t *testing.T) {
		other := stackID // a well-formed stack of the same account and region, not this function's
		require.NoError(t, h.Handle(ctx, event(t, other, "Update", created.PhysicalResourceID, "ec2-user")))
		answeredRefusal(t, "StackId")
		unchanged(t)
	})

	t.Run("wrong ServiceToken", func(t *testing.T) {
		ev := event(t, stack, "Update", created.PhysicalResourceID, "ec2-user")
		ev.ServiceToken = "arn:aws:lambda:eu-west-1:123456789012:function:copy-of-the-writer"
		require.NoError(t, h.Handle(ctx, ev))
		answeredRefusal(t, "ServiceToken")
		unchanged(t)
	})

	t.Run("wrong response URL host: not answered", func(t *testing.T) {
		for _, u := range []string{
			"https://attacker.example/collect",
			"http://" + writerlambda.ResponseBucket(region) + ".s3." + region + ".amazonaws.com/x",
			"https://" + writerlambda.ResponseBucket("us-east-1") + ".s3.us-east-1.amazonaws.com/x",
			"https://" + writerlambda.ResponseBucket(region) + ".s3." + region + ".amazonaws.com.attacker.example/x",
			"https://" + writerlambda.ResponseBucket(region) + ".s3." + region + ".amazonaws.com:8443/x",
		} {
			n := cf.count()
			ev := event(t, stack, "Delete", "ssm-runas:SSM-SessionManagerRunShell:prior=absent", "ssm-fallback")
			ev.ResponseURL = u
			err := h.Handle(ctx, ev)
			var ref *writerlambda.RefusedError
			assert.True(t, errors.As(err, &ref), "%s: want a refusal, got %v", u, err)
			assert.Equal(t, n, cf.count(), "%s: nothing may be sent to an address CloudFormation did not make", u)
		}
		unchanged(t)
	})

	t.Run("the function does not know its stack", func(t *testing.T) {
		n := cf.count()
		bare := &writerlambda.Handler{API: docs, Stack: stacks, HTTP: cf.client()}
		assert.Error(t, bare.Handle(ctx, event(t, stack, "Update", created.PhysicalResourceID, "ec2-user")))
		assert.Equal(t, n, cf.count())
		unchanged(t)
	})

	t.Run("a legitimate Delete still restores", func(t *testing.T) {
		// moto cannot hold a custom resource in DELETE_IN_PROGRESS; the
		// record stand-in answers as CloudFormation does during the delete.
		rec := &record{stack: stack, status: cfntypes.ResourceStatusDeleteInProgress, physicalID: created.PhysicalResourceID}
		legit := &writerlambda.Handler{API: docs, Stack: rec, Self: mustSelf(t, stack), HTTP: newCloudFormation(t, "").client()}
		require.NoError(t, legit.Handle(ctx, event(t, stack, "Delete", created.PhysicalResourceID, "ssm-fallback")))
		st := read(t, docs)
		assert.Equal(t, "1", st.DefaultVersion)
	})
}

func TestCheckResponseURL(t *testing.T) {
	tests := []struct {
		stack string
		url   string
		ok    bool
	}{
		{stackID, "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/arn%3Aaws/x?X-Amz-Signature=1", true},
		{stackID, "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/arn%3Aaws/x", true},
		{stackID, "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x", true},
		{stackID, "https://s3.eu-west-1.amazonaws.com/cloudformation-custom-resource-response-euwest1/x", true},
		{stackID, "https://s3.eu-west-1.amazonaws.com/some-other-bucket/x", false},
		{stackID, "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x", false},
		{stackID, "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com.cn/x", false},
		{stackID, "https://user:pw@cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x", false},
		{stackID, "ftp://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x", false},
		{stackID, "not a url at all", false},
		{"arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/s/1",
			"https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x", true},
		{"arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/s/1",
			"https://cloudformation-custom-resource-response-cnnorth1.s3.amazonaws.com/x", false},
		{"arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/s/1",
			"https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com/x", true},
	}
	for _, tc := range tests {
		err := mustSelf(t, tc.stack).CheckResponseURL(tc.url)
		if tc.ok {
			assert.NoError(t, err, tc.url)
		} else {
			assert.Error(t, err, tc.url)
		}
	}
}

func TestParseSelf(t *testing.T) {
	s := mustSelf(t, stackID)
	assert.Equal(t, functionARN, s.FunctionARN())
	for _, bad := range []string{"", "arn:aws:lambda:eu-west-1:123456789012:function:x", "StackSet-x", "arn:aws:cloudformation:::stack/x/1"} {
		_, err := writerlambda.ParseSelf(bad)
		assert.Error(t, err, bad)
	}
}

// denyingFirst answers AccessDenied a few times, as CloudFormation does
// until a grant added by the same stack update has propagated, then hands
// over to the record.
type denyingFirst struct {
	*record
	denials int
	calls   int
}

func (d *denyingFirst) DescribeStackResource(ctx context.Context, in *cloudformation.DescribeStackResourceInput, o ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error) {
	d.calls++
	if d.calls <= d.denials {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied",
			Message: "User: arn:aws:sts::123456789012:assumed-role/ssm-runas-prefs-writer-eu-west-1/ssm-runas-prefs-writer is not authorized to perform: cloudformation:DescribeStackResource"}
	}
	return d.record.DescribeStackResource(ctx, in, o...)
}

func TestRecordWaitsForTheGrant(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	waits := []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	api := ssm.NewFromConfig(srv.Config(region))
	cf := newCloudFormation(t, "")

	stack := &denyingFirst{record: &record{stack: stackID, status: cfntypes.ResourceStatusCreateInProgress}, denials: 2}
	h := &writerlambda.Handler{API: api, Stack: stack, Self: mustSelf(t, stackID), HTTP: cf.client(), PermissionWait: waits}
	require.NoError(t, h.Handle(ctx, event(t, stackID, "Create", "", "ssm-fallback")))
	assert.Equal(t, "SUCCESS", cf.last(t).Status, cf.last(t).Reason)
	assert.Equal(t, 3, stack.calls)

	srv.Reset(t)
	never := &denyingFirst{record: &record{stack: stackID, status: cfntypes.ResourceStatusCreateInProgress}, denials: 100}
	h = &writerlambda.Handler{API: api, Stack: never, Self: mustSelf(t, stackID), HTTP: cf.client(), PermissionWait: waits}
	require.NoError(t, h.Handle(ctx, event(t, stackID, "Create", "", "ssm-fallback")))
	resp := cf.last(t)
	assert.Equal(t, "FAILED", resp.Status)
	assert.Contains(t, resp.Reason, "not authorized")
	assert.Equal(t, len(waits)+1, never.calls, "it gives up")
	assert.False(t, read(t, api).Exists, "nothing written without CloudFormation's word")
}

func TestInvokedFunctionMustBeTheStacks(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	api := ssm.NewFromConfig(srv.Config(region))
	cf := newCloudFormation(t, "")
	h := &writerlambda.Handler{API: api, Stack: &record{stack: stackID, status: cfntypes.ResourceStatusCreateInProgress},
		Self: mustSelf(t, stackID), HTTP: cf.client()}

	// The same code deployed as another function, its environment copied.
	copied := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:copy-of-the-writer"})
	require.NoError(t, h.Handle(copied, event(t, stackID, "Create", "", "ssm-fallback")))
	resp := cf.last(t)
	assert.Equal(t, "FAILED", resp.Status)
	assert.Contains(t, resp.Reason, "invoked as arn:aws:lambda:eu-west-1:123456789012:function:copy-of-the-writer")
	assert.False(t, read(t, api).Exists)

	// The stack's own function, invoked through a version qualifier.
	own := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{InvokedFunctionArn: functionARN + ":$LATEST"})
	require.NoError(t, h.Handle(own, event(t, stackID, "Create", "", "ssm-fallback")))
	assert.Equal(t, "SUCCESS", cf.last(t).Status, cf.last(t).Reason)
}

// Even while CloudFormation is really deleting the resource, a Delete that
// carries a restore point other than the one CloudFormation recorded is
// refused: the restore point cannot be made up.
func TestFabricatedPriorDuringARealDelete(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)
	api := ssm.NewFromConfig(srv.Config(region))
	seedConsole(t, api)
	cf := newCloudFormation(t, "")
	rec := &record{stack: stackID, status: cfntypes.ResourceStatusCreateInProgress}
	h := &writerlambda.Handler{API: api, Stack: rec, Self: mustSelf(t, stackID), HTTP: cf.client()}
	require.NoError(t, h.Handle(ctx, event(t, stackID, "Create", "", "ssm-fallback")))
	created := cf.last(t)
	require.Equal(t, "SUCCESS", created.Status, created.Reason)

	rec.status, rec.physicalID = cfntypes.ResourceStatusDeleteInProgress, created.PhysicalResourceID
	require.NoError(t, h.Handle(ctx, event(t, stackID, "Delete", "ssm-runas:SSM-SessionManagerRunShell:prior=absent", "ssm-fallback")))
	resp := cf.last(t)
	assert.Equal(t, "FAILED", resp.Status)
	assert.Contains(t, resp.Reason, `CloudFormation records "`+created.PhysicalResourceID+`"`)
	st := read(t, api)
	assert.True(t, st.Exists, "the fabricated prior would have deleted the document")
	assert.Equal(t, "2", st.DefaultVersion)
}
