package ssmprefs_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

const name = sessiondoc.DocumentName

// consoleDocument is what the console saves when someone turns on S3 and
// CloudWatch logging by hand, with Run As off.
const consoleDocument = `{
  "schemaVersion": "1.0",
  "description": "Document to hold regional settings for Session Manager",
  "sessionType": "Standard_Stream",
  "inputs": {
    "s3BucketName": "team-bucket", "s3KeyPrefix": "team/", "s3EncryptionEnabled": true,
    "cloudWatchLogGroupName": "team-logs", "cloudWatchEncryptionEnabled": true, "cloudWatchStreamingEnabled": true,
    "idleSessionTimeout": "20", "maxSessionDuration": "", "kmsKeyId": "",
    "runAsEnabled": false, "runAsDefaultUser": "",
    "shellProfile": {"windows": "", "linux": ""}
  }
}`

var prefs = &sessiondoc.Preferences{RunAsDefaultUser: "ssm-fallback"}

func client(srv *motoserver.Server) *ssm.Client {
	return ssm.NewFromConfig(srv.Config("eu-west-1"))
}

func seed(t *testing.T, api *ssm.Client, content string) {
	t.Helper()
	_, err := api.CreateDocument(context.Background(), &ssm.CreateDocumentInput{
		Name: aws.String(name), Content: aws.String(content),
		DocumentType: types.DocumentTypeSession, DocumentFormat: types.DocumentFormatJson,
	})
	require.NoError(t, err)
}

func writeVersion(t *testing.T, api *ssm.Client, content []byte) {
	t.Helper()
	_, err := api.UpdateDocument(context.Background(), &ssm.UpdateDocumentInput{Name: aws.String(name), Content: aws.String(string(content)),
		DocumentVersion: aws.String("$LATEST"), DocumentFormat: types.DocumentFormatJson})
	require.NoError(t, err)
}

// inputs reads the inputs of the default version as plain values.
func inputs(t *testing.T, st ssmprefs.State) map[string]any {
	t.Helper()
	require.NotNil(t, st.Current.Default, "no default version")
	out := map[string]any{}
	for k, raw := range st.Current.Default.Inputs {
		var v any
		require.NoError(t, json.Unmarshal(raw, &v))
		out[k] = v
	}
	return out
}

func mustRead(t *testing.T, api ssmprefs.DocumentAPI) ssmprefs.State {
	t.Helper()
	st, err := ssmprefs.Read(context.Background(), api, name)
	require.NoError(t, err)
	return st
}

func mustParse(t *testing.T, content string) sessiondoc.Document {
	t.Helper()
	d, err := sessiondoc.Parse([]byte(content))
	require.NoError(t, err)
	return d
}

func TestUpsertAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)

	t.Run("absent: created with Run As on", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.Created, res.Outcome)
		assert.False(t, res.Before.Exists)
		st := mustRead(t, api)
		in := inputs(t, st)
		assert.Equal(t, true, in["runAsEnabled"])
		assert.Equal(t, "ssm-fallback", in["runAsDefaultUser"])
		assert.Equal(t, "1", st.DefaultVersion)
	})

	t.Run("present with other logging settings: kept, new version promoted", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, consoleDocument)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.Updated, res.Outcome)
		assert.Equal(t, "2", res.DefaultVersion)
		st := mustRead(t, api)
		assert.Equal(t, "2", st.DefaultVersion, "the new version must be the default")
		assert.Equal(t, "2", st.LatestVersion)
		assert.Nil(t, st.Current.Latest, "the latest version is the default")
		in := inputs(t, st)
		for k, want := range map[string]any{
			"s3BucketName": "team-bucket", "s3KeyPrefix": "team/", "cloudWatchLogGroupName": "team-logs",
			"runAsEnabled": true, "runAsDefaultUser": "ssm-fallback",
		} {
			assert.Equal(t, want, in[k], k)
		}
		assert.True(t, st.Current.Default.Equal(res.Desired), "what was written is what Decide wanted")
	})

	t.Run("identical: no new version", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, consoleDocument)
		_, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		st := mustRead(t, api)
		assert.Equal(t, ssmprefs.Unchanged, res.Outcome)
		assert.Equal(t, "2", st.LatestVersion, "second run wrote a version")
		assert.Empty(t, res.Changes)
	})

	t.Run("updated but never promoted: promoted without a new version", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, consoleDocument)
		console := mustParse(t, consoleDocument)
		// What a plain UpdateDocument leaves: version 2 written, version 1 still the default.
		writeVersion(t, api, sessiondoc.Desired(&console, prefs).Marshal())
		st := mustRead(t, api)
		require.Equal(t, "1", st.DefaultVersion, "setup")
		require.NotNil(t, st.Current.Latest, "setup: the latest version is read too")

		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		st = mustRead(t, api)
		assert.Equal(t, ssmprefs.Promoted, res.Outcome)
		assert.Equal(t, "2", st.DefaultVersion)
		assert.Equal(t, "2", st.LatestVersion)
	})

	t.Run("duplicate of an older version: that version is promoted, nothing written", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, consoleDocument)
		_, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		// Someone writes a version 3 by hand without promoting it, then puts
		// the console's version 1 back as the default. Version 2 already holds
		// what we want, so SSM answers UpdateDocument with DuplicateDocumentContent.
		var d map[string]any
		require.NoError(t, json.Unmarshal([]byte(consoleDocument), &d))
		d["description"] = "edited by hand"
		edited, err := json.Marshal(d)
		require.NoError(t, err)
		writeVersion(t, api, edited)
		_, err = api.UpdateDocumentDefaultVersion(ctx, &ssm.UpdateDocumentDefaultVersionInput{Name: aws.String(name),
			DocumentVersion: aws.String("1")})
		require.NoError(t, err)

		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		st := mustRead(t, api)
		assert.Equal(t, ssmprefs.Updated, res.Outcome)
		assert.Equal(t, "2", st.DefaultVersion)
		assert.Equal(t, "3", st.LatestVersion)
		assert.Equal(t, true, inputs(t, st)["runAsEnabled"])
	})

	t.Run("dry run writes nothing and reports the decision", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, consoleDocument)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{DryRun: true})
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.Updated, res.Outcome)
		assert.Len(t, res.Changes, 2)
		assert.Equal(t, "1", mustRead(t, api).LatestVersion, "dry run wrote a version")
		// The dry run is exactly the pure decision on what was read.
		dec, err := res.Before.Decide(prefs)
		require.NoError(t, err)
		assert.Equal(t, dec.Action, res.Outcome)
		assert.Equal(t, dec.Changes, res.Changes)
	})

	t.Run("invalid preferences are refused before any call", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		_, err := ssmprefs.Upsert(ctx, api, name, &sessiondoc.Preferences{RunAsDefaultUser: "root"}, ssmprefs.Options{})
		require.Error(t, err)
		assert.False(t, mustRead(t, api).Exists, "nothing may be written for invalid preferences")
	})

	t.Run("a default version that is not a session document is not overwritten", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":["not","an","object"]}`)
		st := mustRead(t, api)
		require.True(t, st.Exists)
		assert.ErrorContains(t, st.ContentErr, "version 1", "the error names the version the audit reports")
		_, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		assert.ErrorContains(t, err, "version 1")
		assert.Equal(t, "1", mustRead(t, api).LatestVersion)
	})
}

func TestRestoreAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)

	t.Run("restores the version found before the first write", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		seed(t, api, consoleDocument)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		// A later update with other preferences must not move the restore point.
		_, err = ssmprefs.Upsert(ctx, api, name, &sessiondoc.Preferences{RunAsDefaultUser: "ops"}, ssmprefs.Options{})
		require.NoError(t, err)
		action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		require.NoError(t, err)
		st := mustRead(t, api)
		assert.Equal(t, ssmprefs.RestoreRepromoted, action)
		assert.Equal(t, "1", st.DefaultVersion)
		assert.True(t, st.Current.Default.Equal(mustParse(t, consoleDocument)), "restored: %+v", st.Current.Default)
		// Twice is fine.
		action, err = ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.RestoreNothing, action)
	})

	t.Run("absent before: deleted again", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.RestoreDeleted, action)
		assert.False(t, mustRead(t, api).Exists, "document still exists")
	})

	t.Run("prior had Run As on with no user: restored with Run As off", func(t *testing.T) {
		srv.Reset(t)
		api := client(srv)
		half := `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"","s3BucketName":"team-bucket"}}`
		seed(t, api, half)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		require.NoError(t, err)
		action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.RestoreRewritten, action)
		in := inputs(t, mustRead(t, api))
		assert.Equal(t, false, in["runAsEnabled"])
		assert.Equal(t, "team-bucket", in["s3BucketName"])
		// Restoring again finds the rewritten content in place.
		action, err = ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		require.NoError(t, err)
		assert.Equal(t, ssmprefs.RestoreNothing, action)
	})
}
