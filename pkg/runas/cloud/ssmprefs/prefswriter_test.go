package ssmprefs_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

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

func client(t *testing.T, srv *motoserver.Server) *ssm.Client {
	return ssm.NewFromConfig(srv.Config("eu-west-1"))
}

func seed(t *testing.T, api *ssm.Client, content string) {
	t.Helper()
	_, err := api.CreateDocument(context.Background(), &ssm.CreateDocumentInput{
		Name: aws.String(name), Content: aws.String(content),
		DocumentType: types.DocumentTypeSession, DocumentFormat: types.DocumentFormatJson,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func inputs(t *testing.T, content []byte) map[string]any {
	t.Helper()
	var d struct{ Inputs map[string]any }
	if err := json.Unmarshal(content, &d); err != nil {
		t.Fatal(err)
	}
	return d.Inputs
}

func mustRead(t *testing.T, api ssmprefs.DocumentAPI) ssmprefs.State {
	t.Helper()
	st, err := ssmprefs.Read(context.Background(), api, name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestUpsertAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)

	t.Run("absent: created with Run As on", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != ssmprefs.Created || res.Before.Exists {
			t.Fatalf("outcome %s, before %+v", res.Outcome, res.Before)
		}
		st := mustRead(t, api)
		in := inputs(t, st.Default)
		if in["runAsEnabled"] != true || in["runAsDefaultUser"] != "ssm-fallback" || st.DefaultVersion != "1" {
			t.Fatalf("document after create: v%s %v", st.DefaultVersion, in)
		}
	})

	t.Run("present with other logging settings: kept, new version promoted", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		seed(t, api, consoleDocument)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != ssmprefs.Updated || res.DefaultVersion != "2" {
			t.Fatalf("outcome %s version %s", res.Outcome, res.DefaultVersion)
		}
		st := mustRead(t, api)
		if st.DefaultVersion != "2" || st.LatestVersion != "2" {
			t.Fatalf("the new version must be the default: %+v", st)
		}
		in := inputs(t, st.Default)
		for k, want := range map[string]any{
			"s3BucketName": "team-bucket", "s3KeyPrefix": "team/", "cloudWatchLogGroupName": "team-logs",
			"runAsEnabled": true, "runAsDefaultUser": "ssm-fallback",
		} {
			if in[k] != want {
				t.Errorf("%s = %v, want %v", k, in[k], want)
			}
		}
	})

	t.Run("identical: no new version", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		seed(t, api, consoleDocument)
		if _, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{}); err != nil {
			t.Fatal(err)
		}
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st := mustRead(t, api)
		if res.Outcome != ssmprefs.Unchanged || st.LatestVersion != "2" || len(res.Changes) != 0 {
			t.Fatalf("second run wrote: outcome %s, latest %s, changes %v", res.Outcome, st.LatestVersion, res.Changes)
		}
	})

	t.Run("updated but never promoted: promoted without a new version", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		seed(t, api, consoleDocument)
		desired, err := sessiondoc.Apply([]byte(consoleDocument), prefs)
		if err != nil {
			t.Fatal(err)
		}
		// What a plain UpdateDocument leaves: version 2 written, version 1 still the default.
		if _, err := api.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String(name), Content: aws.String(string(desired)),
			DocumentVersion: aws.String("$LATEST"), DocumentFormat: types.DocumentFormatJson}); err != nil {
			t.Fatal(err)
		}
		if st := mustRead(t, api); st.DefaultVersion != "1" {
			t.Fatalf("setup: default %s", st.DefaultVersion)
		}
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st := mustRead(t, api)
		if res.Outcome != ssmprefs.Promoted || st.DefaultVersion != "2" || st.LatestVersion != "2" {
			t.Fatalf("outcome %s, state %+v", res.Outcome, st)
		}
	})

	t.Run("duplicate of an older version: that version is promoted, nothing written", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		seed(t, api, consoleDocument)
		if _, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{}); err != nil {
			t.Fatal(err)
		}
		// Someone writes a version 3 by hand without promoting it, then puts
		// the console's version 1 back as the default. Version 2 already holds
		// what we want, so SSM answers UpdateDocument with DuplicateDocumentContent.
		var d map[string]any
		_ = json.Unmarshal([]byte(consoleDocument), &d)
		d["description"] = "edited by hand"
		edited, _ := json.Marshal(d)
		if _, err := api.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String(name), Content: aws.String(string(edited)),
			DocumentVersion: aws.String("$LATEST"), DocumentFormat: types.DocumentFormatJson}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.UpdateDocumentDefaultVersion(ctx, &ssm.UpdateDocumentDefaultVersionInput{Name: aws.String(name),
			DocumentVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st := mustRead(t, api)
		if res.Outcome != ssmprefs.Updated || st.DefaultVersion != "2" || st.LatestVersion != "3" {
			t.Fatalf("outcome %s, state default v%s latest v%s", res.Outcome, st.DefaultVersion, st.LatestVersion)
		}
		if in := inputs(t, st.Default); in["runAsEnabled"] != true {
			t.Fatalf("default version: %v", in)
		}
	})

	t.Run("dry run writes nothing", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		seed(t, api, consoleDocument)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != ssmprefs.Updated || len(res.Changes) != 2 {
			t.Fatalf("dry run: %s %v", res.Outcome, res.Changes)
		}
		if st := mustRead(t, api); st.LatestVersion != "1" {
			t.Fatalf("dry run wrote version %s", st.LatestVersion)
		}
	})

	t.Run("invalid preferences are refused before any call", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		if _, err := ssmprefs.Upsert(ctx, api, name, &sessiondoc.Preferences{RunAsDefaultUser: "root"}, ssmprefs.Options{}); err == nil {
			t.Fatal("want an error")
		}
		if st := mustRead(t, api); st.Exists {
			t.Fatal("nothing may be written for invalid preferences")
		}
	})
}

func TestRestoreAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Context(t)

	t.Run("restores the version found before the first write", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		seed(t, api, consoleDocument)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// A later update with other preferences must not move the restore point.
		if _, err := ssmprefs.Upsert(ctx, api, name, &sessiondoc.Preferences{RunAsDefaultUser: "ops"}, ssmprefs.Options{}); err != nil {
			t.Fatal(err)
		}
		action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		if err != nil {
			t.Fatal(err)
		}
		st := mustRead(t, api)
		if action != ssmprefs.RestoreRepromoted || st.DefaultVersion != "1" || !sessiondoc.Equal(st.Default, []byte(consoleDocument)) {
			t.Fatalf("action %s, state v%s %s", action, st.DefaultVersion, st.Default)
		}
		// Twice is fine.
		if action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before)); err != nil || action != ssmprefs.RestoreNothing {
			t.Fatalf("second restore: %s %v", action, err)
		}
	})

	t.Run("absent before: deleted again", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		if err != nil || action != ssmprefs.RestoreDeleted {
			t.Fatalf("restore: %s %v", action, err)
		}
		if mustRead(t, api).Exists {
			t.Fatal("document still exists")
		}
	})

	t.Run("prior had Run As on with no user: restored with Run As off", func(t *testing.T) {
		srv.Reset(t)
		api := client(t, srv)
		half := `{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"","s3BucketName":"team-bucket"}}`
		seed(t, api, half)
		res, err := ssmprefs.Upsert(ctx, api, name, prefs, ssmprefs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		action, err := ssmprefs.Restore(ctx, api, name, ssmprefs.PriorOf(res.Before))
		if err != nil || action != ssmprefs.RestoreRewritten {
			t.Fatalf("restore: %s %v", action, err)
		}
		in := inputs(t, mustRead(t, api).Default)
		if in["runAsEnabled"] != false || in["s3BucketName"] != "team-bucket" {
			t.Fatalf("restored inputs: %v", in)
		}
	})
}
