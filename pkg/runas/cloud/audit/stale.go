package audit

import (
	"context"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

// EntraUsersAPI reads people's profiles from Microsoft Graph, for the
// checks that compare Identity Center with Entra ID. Nil skips them.
type EntraUsersAPI interface {
	GroupByName(ctx context.Context, name string) (graph.Group, error)
	GroupMemberUsers(ctx context.Context, groupID string) ([]graph.User, error)
}
