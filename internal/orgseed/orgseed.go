// Package orgseed builds an AWS Organization in moto_server with accounts
// whose Session Manager preferences are in chosen states, for the audit's
// integration tests and its benchmark. Everything goes through the real
// AWS APIs moto emulates; member accounts are reached through the role
// Organizations creates with each account, as the audit reaches them.
package orgseed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/ssmprefs"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/sessiondoc"
)

// State is the condition of one account-region's preferences document.
type State string

// States the seeder can build, and the audit checks each one yields.
const (
	Compliant  State = "compliant"
	Missing    State = "missing"
	RunAsOff   State = "run-as-off"
	WrongUser  State = "wrong-user"
	Logging    State = "logging"
	Unpromoted State = "unpromoted"
)

// AllStates lists every state, in the order States cycles through them.
var AllStates = []State{Compliant, Missing, RunAsOff, WrongUser, Logging, Unpromoted}

// ExpectedChecks are the audit checks each state must produce, sorted.
var ExpectedChecks = map[State][]string{
	Compliant:  nil,
	Missing:    {audit.CheckDocumentMissing},
	RunAsOff:   {audit.CheckRunAsDefaultUser, audit.CheckRunAsOff},
	WrongUser:  {audit.CheckRunAsDefaultUser},
	Logging:    {audit.CheckLogging + ":" + sessiondoc.InputS3BucketName},
	Unpromoted: {audit.CheckRunAsDefaultUser, audit.CheckRunAsOff, audit.CheckDefaultVersion},
}

// Org is what Seed built.
type Org struct {
	ID, RootID, ManagementAccount string
	// OUs are the OU ids, in creation order.
	OUs []string
	// Accounts are the member account ids, in creation order.
	Accounts []string
	// States maps "account/region" to its state.
	States map[string]State
}

// Spec says what to build.
type Spec struct {
	// Accounts is the number of member accounts, spread over OUs.
	Accounts int
	// OUs is the number of OUs under the root, at least 1.
	OUs     int
	Regions []string
	// Prefs are the preferences a compliant account holds.
	Prefs *sessiondoc.Preferences
	// StateOf picks each account-region's state; nil means all compliant.
	StateOf func(accountIndex int, region string) State
	// Concurrency for seeding documents, default 8.
	Concurrency int
}

// Seed creates the organization and the documents.
func Seed(ctx context.Context, f *awsorg.Factory, spec Spec) (Org, error) {
	orgs := f.Organizations()
	out, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		return Org{}, fmt.Errorf("creating the organization: %w", err)
	}
	org := Org{ID: aws.ToString(out.Organization.Id), ManagementAccount: aws.ToString(out.Organization.MasterAccountId), States: map[string]State{}}
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return Org{}, err
	}
	org.RootID = aws.ToString(roots.Roots[0].Id)
	for i := 0; i < max(spec.OUs, 1); i++ {
		ou, err := orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(org.RootID), Name: aws.String(fmt.Sprintf("ou-%d", i))})
		if err != nil {
			return Org{}, fmt.Errorf("creating an OU: %w", err)
		}
		org.OUs = append(org.OUs, aws.ToString(ou.OrganizationalUnit.Id))
	}
	for i := 0; i < spec.Accounts; i++ {
		acct, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String(fmt.Sprintf("workload-%03d", i)), Email: aws.String(fmt.Sprintf("aws+%03d@corp.example", i)),
		})
		if err != nil {
			return Org{}, fmt.Errorf("creating account %d: %w", i, err)
		}
		id := aws.ToString(acct.CreateAccountStatus.AccountId)
		if _, err := orgs.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id),
			SourceParentId: aws.String(org.RootID), DestinationParentId: aws.String(org.OUs[i%len(org.OUs)])}); err != nil {
			return Org{}, fmt.Errorf("moving account %s: %w", id, err)
		}
		org.Accounts = append(org.Accounts, id)
	}

	var jobs []awsorg.Job
	for i, a := range org.Accounts {
		for _, r := range spec.Regions {
			s := Compliant
			if spec.StateOf != nil {
				s = spec.StateOf(i, r)
			}
			org.States[a+"/"+r] = s
			jobs = append(jobs, awsorg.Job{Account: a, Region: r})
		}
	}
	errs := make(chan error, len(jobs))
	awsorg.Each(ctx, jobs, awsorg.PoolOptions{Max: max(spec.Concurrency, 8), Throttles: f.Throttles, Latency: f.Latency}, func(ctx context.Context, j awsorg.Job) {
		if err := SetState(ctx, f.SSM(j.Account, j.Region), spec.Prefs, org.States[j.Account+"/"+j.Region]); err != nil {
			errs <- fmt.Errorf("%s/%s: %w", j.Account, j.Region, err)
		}
	})
	close(errs)
	if err := <-errs; err != nil {
		return Org{}, err
	}
	if err := ctx.Err(); err != nil {
		return Org{}, fmt.Errorf("seeding the documents: %w", err)
	}
	return org, nil
}

// SetState writes the document state s into one account-region.
func SetState(ctx context.Context, api ssmprefs.DocumentAPI, prefs *sessiondoc.Preferences, s State) error {
	name := sessiondoc.DocumentName
	// off is the desired document with Run As off and no default user, as
	// the console leaves it.
	off := func() sessiondoc.Document {
		d := sessiondoc.Desired(nil, prefs).WithRunAsOff()
		d.Inputs[sessiondoc.InputRunAsDefaultUser] = json.RawMessage(`""`)
		return d
	}
	upsert := func(p *sessiondoc.Preferences) error {
		_, err := ssmprefs.Upsert(ctx, api, name, p, ssmprefs.Options{})
		return err
	}
	create := func(doc sessiondoc.Document) error {
		_, err := api.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String(name), Content: aws.String(string(doc.Marshal())),
			DocumentType: ssmtypes.DocumentTypeSession, DocumentFormat: ssmtypes.DocumentFormatJson})
		return err
	}
	switch s {
	case Compliant:
		return upsert(prefs)
	case Missing:
		return nil
	case RunAsOff:
		return create(off())
	case WrongUser:
		p := *prefs
		p.RunAsDefaultUser = "ops"
		return upsert(&p)
	case Logging:
		p := *prefs
		s3 := sessiondoc.S3Logging{BucketName: "team-owned-bucket"}
		if prefs.S3 != nil {
			s3.KeyPrefix, s3.EncryptionEnabled = prefs.S3.KeyPrefix, prefs.S3.EncryptionEnabled
		}
		p.S3 = &s3
		return upsert(&p)
	case Unpromoted:
		current := off()
		if err := create(current); err != nil {
			return err
		}
		desired := sessiondoc.Desired(&current, prefs)
		_, err := api.UpdateDocument(ctx, &ssm.UpdateDocumentInput{Name: aws.String(name), Content: aws.String(string(desired.Marshal())),
			DocumentVersion: aws.String("$LATEST"), DocumentFormat: ssmtypes.DocumentFormatJson})
		return err
	}
	return fmt.Errorf("unknown state %q", s)
}
