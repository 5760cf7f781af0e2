package ssmprefs

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Prior is what an account held before the first write: enough to put it
// back. It is small on purpose, so it fits in a CloudFormation physical
// resource id.
type Prior struct {
	// Existed is false when there was no document.
	Existed bool
	// DefaultVersion is the version that was the default.
	DefaultVersion string
}

// PriorOf returns what Restore needs from the state Upsert found.
func PriorOf(st State) Prior {
	return Prior{Existed: st.Exists, DefaultVersion: st.DefaultVersion}
}

// RestoreAction says what Restore did.
type RestoreAction string

// Restore actions.
const (
	// RestoreDeleted: there was no document before, and now there is none.
	RestoreDeleted RestoreAction = "deleted"
	// RestoreRepromoted: the old default version is the default again.
	RestoreRepromoted RestoreAction = "re-promoted"
	// RestoreRewritten: the old default had Run As on with no user; its
	// content was written again with Run As off.
	RestoreRewritten RestoreAction = "rewritten-with-run-as-off"
	// RestoreKept: the old version is gone; the current document, which has
	// a Run As user, is left as it is.
	RestoreKept RestoreAction = "kept-current"
	// RestoreNothing: the document is already in the prior state.
	RestoreNothing RestoreAction = "nothing-to-do"
)

// Restore puts the account back as Prior describes. It never leaves Run As
// on without a default user.
func Restore(ctx context.Context, api DocumentAPI, name string, prior Prior) (RestoreAction, error) {
	st, err := Read(ctx, api, name)
	if err != nil {
		return "", err
	}
	if !prior.Existed {
		if !st.Exists {
			return RestoreNothing, nil
		}
		if _, err := api.DeleteDocument(ctx, &ssm.DeleteDocumentInput{Name: aws.String(name)}); err != nil && !isNotFound(err) {
			return "", fmt.Errorf("deleting %s to restore its absence: %w", name, err)
		}
		return RestoreDeleted, nil
	}
	if !st.Exists {
		// Deleted behind our back; nothing of ours is left to undo.
		return RestoreNothing, nil
	}
	old, err := getDocument(ctx, api, name, prior.DefaultVersion)
	if isNotFound(err) {
		return RestoreKept, nil
	}
	if err != nil {
		return "", err
	}
	if old.HalfConfigured() {
		off := old.WithRunAsOff()
		if st.Current.Default != nil && st.Current.Default.Equal(off) {
			return RestoreNothing, nil
		}
		v, err := update(ctx, api, name, off)
		if err != nil {
			return "", err
		}
		return RestoreRewritten, promote(ctx, api, name, v)
	}
	if st.DefaultVersion == prior.DefaultVersion {
		return RestoreNothing, nil
	}
	return RestoreRepromoted, promote(ctx, api, name, prior.DefaultVersion)
}
