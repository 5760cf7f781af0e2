package ssmprefs

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// DocumentAPI is the part of the SSM API the writer uses; *ssm.Client
// satisfies it.
type DocumentAPI interface {
	GetDocument(context.Context, *ssm.GetDocumentInput, ...func(*ssm.Options)) (*ssm.GetDocumentOutput, error)
	DescribeDocument(context.Context, *ssm.DescribeDocumentInput, ...func(*ssm.Options)) (*ssm.DescribeDocumentOutput, error)
	CreateDocument(context.Context, *ssm.CreateDocumentInput, ...func(*ssm.Options)) (*ssm.CreateDocumentOutput, error)
	UpdateDocument(context.Context, *ssm.UpdateDocumentInput, ...func(*ssm.Options)) (*ssm.UpdateDocumentOutput, error)
	UpdateDocumentDefaultVersion(context.Context, *ssm.UpdateDocumentDefaultVersionInput, ...func(*ssm.Options)) (*ssm.UpdateDocumentDefaultVersionOutput, error)
	DeleteDocument(context.Context, *ssm.DeleteDocumentInput, ...func(*ssm.Options)) (*ssm.DeleteDocumentOutput, error)
}

// State is what an account and region hold for the document, read once
// and parsed once.
type State struct {
	Exists         bool
	DefaultVersion string
	LatestVersion  string
	// Current is the parsed content of the default and (when it differs)
	// latest versions: what sessiondoc.Decide works on.
	Current sessiondoc.Current
	// ContentErr is set when a version's content is not a session document
	// (Current is then incomplete): nothing may be written over it, and the
	// audit reports it as such.
	ContentErr error
}

// Decide applies the one document rule (sessiondoc.Decide) to this state.
// prefs must be valid.
func (st State) Decide(prefs *sessiondoc.Preferences) (sessiondoc.Decision, error) {
	if st.ContentErr != nil {
		return sessiondoc.Decision{}, st.ContentErr
	}
	return sessiondoc.Decide(st.Current, prefs), nil
}

// Read returns the document's state. A missing document is not an error;
// content that is not a session document is reported in State.ContentErr.
func Read(ctx context.Context, api DocumentAPI, name string) (State, error) {
	desc, err := api.DescribeDocument(ctx, &ssm.DescribeDocumentInput{Name: aws.String(name)})
	if isNotFound(err) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("describing %s: %w", name, err)
	}
	st := State{
		Exists:         true,
		DefaultVersion: aws.ToString(desc.Document.DefaultVersion),
		LatestVersion:  aws.ToString(desc.Document.LatestVersion),
	}
	rawDefault, err := getContent(ctx, api, name, st.DefaultVersion)
	if err != nil {
		return State{}, err
	}
	def, err := sessiondoc.Parse(rawDefault)
	if err != nil {
		st.ContentErr = fmt.Errorf("%s version %s: %w", name, st.DefaultVersion, err)
		return st, nil
	}
	st.Current.Default = &def
	if st.LatestVersion != st.DefaultVersion {
		rawLatest, err := getContent(ctx, api, name, st.LatestVersion)
		if err != nil {
			return State{}, err
		}
		latest, err := sessiondoc.Parse(rawLatest)
		if err != nil {
			st.ContentErr = fmt.Errorf("%s version %s: %w", name, st.LatestVersion, err)
			return st, nil
		}
		st.Current.Latest = &latest
	}
	return st, nil
}

func getContent(ctx context.Context, api DocumentAPI, name, version string) ([]byte, error) {
	out, err := api.GetDocument(ctx, &ssm.GetDocumentInput{
		Name:            aws.String(name),
		DocumentVersion: aws.String(version),
		// Ask for JSON: a document saved as YAML is converted by SSM.
		DocumentFormat: types.DocumentFormatJson,
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s version %s: %w", name, version, err)
	}
	return []byte(aws.ToString(out.Content)), nil
}

// getDocument reads and parses one version.
func getDocument(ctx context.Context, api DocumentAPI, name, version string) (sessiondoc.Document, error) {
	content, err := getContent(ctx, api, name, version)
	if err != nil {
		return sessiondoc.Document{}, err
	}
	d, err := sessiondoc.Parse(content)
	if err != nil {
		return sessiondoc.Document{}, fmt.Errorf("%s version %s: %w", name, version, err)
	}
	return d, nil
}

// Outcome says what Upsert did, or would do in a dry run: the action
// sessiondoc.Decide chose.
type Outcome = sessiondoc.Action

// Outcomes.
const (
	// Unchanged: the default version already holds the desired content.
	Unchanged = sessiondoc.Nothing
	// Promoted: a version with the desired content existed and became the default.
	Promoted = sessiondoc.Promote
	// Updated: a new version was written and became the default.
	Updated = sessiondoc.Update
	// Created: the document did not exist and was created.
	Created = sessiondoc.Create
)

// Result describes one upsert.
type Result struct {
	Outcome Outcome
	// DefaultVersion is the default version after the write ("" in a dry run
	// that would create or update).
	DefaultVersion string
	// Before is the state found before writing.
	Before State
	// Desired is the content the default version must hold.
	Desired sessiondoc.Document
	// Changes lists the inputs that differ between the old default version
	// and Desired.
	Changes []sessiondoc.Change
}

// Options tune Upsert.
type Options struct {
	// DryRun computes the result without writing.
	DryRun bool
}

// Upsert makes the default version of the document hold prefs, keeping the
// inputs prefs does not manage. It is safe to run any number of times: a
// second run finds the content in place and writes nothing. What it writes
// is what sessiondoc.Decide says; a dry run returns that decision.
func Upsert(ctx context.Context, api DocumentAPI, name string, prefs *sessiondoc.Preferences, opts Options) (Result, error) {
	if err := prefs.Validate("preferences").Err(); err != nil {
		return Result{}, fmt.Errorf("refusing to write %s: %w", name, err)
	}
	return upsert(ctx, api, name, prefs, opts, true)
}

// upsert does the work; retryCreate allows one fresh start when the
// document appears between the read and the create.
func upsert(ctx context.Context, api DocumentAPI, name string, prefs *sessiondoc.Preferences, opts Options, retryCreate bool) (Result, error) {
	before, err := Read(ctx, api, name)
	if err != nil {
		return Result{}, err
	}
	dec, err := before.Decide(prefs)
	if err != nil {
		return Result{}, fmt.Errorf("building %s from its version %s: %w", name, before.DefaultVersion, err)
	}
	res := Result{Outcome: dec.Action, Before: before, Desired: dec.Desired, Changes: dec.Changes}
	switch dec.Action {
	case sessiondoc.Nothing:
		res.DefaultVersion = before.DefaultVersion
		return res, nil
	case sessiondoc.Promote:
		res.DefaultVersion = before.LatestVersion
	}
	if opts.DryRun {
		return res, nil
	}

	switch dec.Action {
	case sessiondoc.Create:
		v, err := create(ctx, api, name, dec.Desired)
		if errors.As(err, new(*types.DocumentAlreadyExists)) && retryCreate {
			// Created between our read and our write: start over, once, on
			// what is there now.
			return upsert(ctx, api, name, prefs, opts, false)
		}
		if err != nil {
			return Result{}, err
		}
		res.DefaultVersion = v
		// A new document's first version is its default; promoting is
		// still explicit so a later change in that rule cannot bite.
	case sessiondoc.Update:
		v, err := update(ctx, api, name, dec.Desired)
		if err != nil {
			return Result{}, err
		}
		res.DefaultVersion = v
	}
	if err := promote(ctx, api, name, res.DefaultVersion); err != nil {
		return Result{}, err
	}
	return res, nil
}

func create(ctx context.Context, api DocumentAPI, name string, doc sessiondoc.Document) (string, error) {
	out, err := api.CreateDocument(ctx, &ssm.CreateDocumentInput{
		Name:           aws.String(name),
		Content:        aws.String(string(doc.Marshal())),
		DocumentType:   types.DocumentTypeSession,
		DocumentFormat: types.DocumentFormatJson,
	})
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", name, err)
	}
	return aws.ToString(out.DocumentDescription.DocumentVersion), nil
}

// update writes content as a new version from $LATEST and returns its
// version. DuplicateDocumentContent means a version already holds the
// content: that version is the answer.
func update(ctx context.Context, api DocumentAPI, name string, doc sessiondoc.Document) (string, error) {
	out, err := api.UpdateDocument(ctx, &ssm.UpdateDocumentInput{
		Name:            aws.String(name),
		Content:         aws.String(string(doc.Marshal())),
		DocumentVersion: aws.String("$LATEST"),
		DocumentFormat:  types.DocumentFormatJson,
	})
	if errors.As(err, new(*types.DuplicateDocumentContent)) {
		return findVersion(ctx, api, name, doc)
	}
	if err != nil {
		return "", fmt.Errorf("updating %s: %w", name, err)
	}
	return aws.ToString(out.DocumentDescription.DocumentVersion), nil
}

// findVersion returns the newest version whose content equals doc.
// Versions are numbered from 1 up to the latest, so it walks down from the
// latest with GetDocument; versions deleted by hand are skipped.
func findVersion(ctx context.Context, api DocumentAPI, name string, doc sessiondoc.Document) (string, error) {
	desc, err := api.DescribeDocument(ctx, &ssm.DescribeDocumentInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describing %s: %w", name, err)
	}
	latest, err := strconv.Atoi(aws.ToString(desc.Document.LatestVersion))
	if err != nil {
		return "", fmt.Errorf("reading the latest version of %s: %q is not a number", name, aws.ToString(desc.Document.LatestVersion))
	}
	for v := latest; v >= 1; v-- {
		c, err := getContent(ctx, api, name, strconv.Itoa(v))
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		// A version that is not a session document cannot be the one.
		if d, err := sessiondoc.Parse(c); err == nil && d.Equal(doc) {
			return strconv.Itoa(v), nil
		}
	}
	return "", fmt.Errorf("updating %s: SSM reports duplicate content but no version holds it", name)
}

func promote(ctx context.Context, api DocumentAPI, name, version string) error {
	_, err := api.UpdateDocumentDefaultVersion(ctx, &ssm.UpdateDocumentDefaultVersionInput{
		Name:            aws.String(name),
		DocumentVersion: aws.String(version),
	})
	if err != nil {
		return fmt.Errorf("making version %s the default of %s: %w", version, name, err)
	}
	return nil
}

// isNotFound reports a missing document or document version.
func isNotFound(err error) bool {
	return errors.As(err, new(*types.InvalidDocument)) || errors.As(err, new(*types.InvalidDocumentVersion))
}
