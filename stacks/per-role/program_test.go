package perrole_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/internal/golden"
	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
	"github.com/ssm-runas/ssm-runas/pkg/runas/pulumimock"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	perrole "github.com/ssm-runas/ssm-runas/stacks/per-role"
)

// TestProgram records the whole per-role stack for the example and compares
// it with a golden plan; the writer's zip is a stand-in so the golden file
// does not change with the Go toolchain.
func TestProgram(t *testing.T) {
	t.Setenv("SSM_RUNAS_SCIM_TOKEN", "test-token")
	c, err := settings.Load("../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	zip := filepath.Join(t.TempDir(), "writer.zip")
	os.WriteFile(zip, []byte("zip"), 0o644)
	w := artifact.Zip{Path: zip, SHA256: strings.Repeat("0", 64)}
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error { return perrole.ProgramWithWriter(ctx, c, w) })
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(map[string]any{"resources": rows}, "", "  ")
	golden.JSON(t, "plan.json", b)
}

func TestProgramWithoutGuardrail(t *testing.T) {
	t.Setenv("SSM_RUNAS_SCIM_TOKEN", "test-token")
	c, err := settings.Load("../../examples/per-role/runas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Guardrail.Enabled = new(bool)
	zip := filepath.Join(t.TempDir(), "writer.zip")
	os.WriteFile(zip, []byte("zip"), 0o644)
	rows, err := pulumimock.Run(func(ctx *pulumi.Context) error {
		return perrole.ProgramWithWriter(ctx, c, artifact.Zip{Path: zip, SHA256: strings.Repeat("0", 64)})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if strings.HasPrefix(r.Type, "aws:organizations/") {
			t.Fatalf("guardrail disabled but %s %s planned", r.Type, r.Name)
		}
	}
}
