package sessiondoc

// Current is what an account and region hold for the document, parsed.
type Current struct {
	// Default is the content of the default version; nil when the account
	// has no document.
	Default *Document
	// Latest is the content of the latest version when it is not the
	// default; nil when the latest version is the default.
	Latest *Document
}

// Action is what must happen to the document. The values are the words the
// writer, `runas remediate` and the audit report.
type Action string

// Actions.
const (
	// Nothing: the default version already holds the desired content.
	Nothing Action = "unchanged"
	// Create: there is no document; create it with the desired content.
	Create Action = "created"
	// Update: write the desired content as a new version (from $LATEST)
	// and make it the default.
	Update Action = "updated"
	// Promote: the latest version already holds the desired content but is
	// not the default (an update cut short, or written by hand); make it
	// the default without writing.
	Promote Action = "promoted"
)

// Decision is what Decide found.
type Decision struct {
	// Action is what must happen.
	Action Action
	// Desired is the content the default version must hold.
	Desired Document
	// Changes lists the inputs that differ between the current default
	// version (nothing, for Create) and Desired. It is empty for Nothing and
	// not empty for Promote: the default still differs until promoted.
	Changes []Change
}

// Decide is the one rule for what the preferences require of a document:
// the member-account writer, `runas remediate` (and its dry run) and the
// audit's classification all follow it. It is pure; pr must be valid
// (Preferences.Validate).
func Decide(cur Current, pr *Preferences) Decision {
	desired := Desired(cur.Default, pr)
	d := Decision{Desired: desired, Changes: Changes(cur.Default, desired)}
	switch {
	case cur.Default == nil:
		d.Action = Create
	case cur.Default.Equal(desired):
		d.Action = Nothing
	case cur.Latest != nil && cur.Latest.Equal(desired):
		d.Action = Promote
	default:
		d.Action = Update
	}
	return d
}
