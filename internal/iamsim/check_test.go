package iamsim

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMissingEvaluatorSaysHowToInstall: without node_modules the error
// names the install command, so a test fails with it instead of skipping.
func TestMissingEvaluatorSaysHowToInstall(t *testing.T) {
	err := checkDir(t.TempDir())
	require.ErrorIs(t, err, ErrNotInstalled)
	assert.Contains(t, err.Error(), "cd tests/iamsim && npm ci")
}

func TestEvaluateAnswersInOrder(t *testing.T) {
	require.NoError(t, Check())
	allow := Policy{Name: "p", Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)}
	req := func(name, action string) Request {
		return Request{Name: name, IdentityPolicies: []Policy{allow}, Principal: "arn:aws:iam::111111111111:user/u",
			Action: action, Resource: "arn:aws:s3:::b/k", ResourceAccount: "111111111111", Context: map[string]any{}}
	}
	got, err := Evaluate(context.Background(), []Request{req("get", "s3:GetObject"), req("put", "s3:PutObject")})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "get", got[0].Name)
	assert.Equal(t, Allowed, got[0].Decision)
	assert.Equal(t, "put", got[1].Name)
	assert.Equal(t, ImplicitlyDenied, got[1].Decision)
}

// TestDecideRefusesWhatTheEvaluatorCannotDecide: a malformed policy is an
// error naming the request, never a quiet "not allowed".
func TestDecideRefusesWhatTheEvaluatorCannotDecide(t *testing.T) {
	require.NoError(t, Check())
	req := func(name, policy string) Request {
		return Request{Name: name, IdentityPolicies: []Policy{{Name: "p", Policy: []byte(policy)}}, Principal: "arn:aws:iam::111111111111:user/u",
			Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "111111111111", Context: map[string]any{}}
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	got, err := Decide(context.Background(), []Request{req("allowed", allow), req("denied", `{"Version":"2012-10-17","Statement":[]}`)})
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false}, got)

	_, err = Decide(context.Background(), []Request{req("allowed", allow), req("broken", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`)})
	assert.ErrorContains(t, err, "refused request 1 (broken)")
}
