package deploy

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/artifact"
)

// Inputs are what a program needs besides the configuration. stacks/main.go
// resolves them from the stack (config, secrets, built artifacts); tests and
// `runas plan` pass their own, and run the same program.
type Inputs struct {
	// Writer is required: the writer Lambda's zip, or artifact.NotBuilt in
	// an offline preview.
	Writer artifact.Zip
	// Broker is required when the configuration has a broker section: the
	// session broker Lambda's zip, or artifact.Broker.NotBuilt() in an
	// offline preview.
	Broker artifact.Zip
	// SCIMToken is optional: Identity Center's SCIM token, a secret. Nil
	// until Identity Center has issued it.
	SCIMToken pulumi.StringInput
	// AWS is optional: the stack's aws settings, the base of every aws
	// provider the program creates.
	AWS AWSSettings
	// Layers is optional, default every layer.
	Layers Layers
}

// Layers select what a stack deploys, so that the Entra application and
// the AWS side can live in stacks of their own (owned by different teams,
// with different credentials). The zero value deploys both.
type Layers struct {
	// EntraOnly deploys only the Entra application.
	EntraOnly bool
	// AWSOnly deploys only the AWS side.
	AWSOnly bool
}

// Layer names, as given in the stack config ssm-runas:layers.
const (
	LayerAll   = "all"
	LayerEntra = "entra"
	LayerAWS   = "aws"
)

// ParseLayers reads the ssm-runas:layers value: "", "all", "entra" or "aws".
func ParseLayers(s string) (Layers, error) {
	switch strings.TrimSpace(s) {
	case "", LayerAll:
		return Layers{}, nil
	case LayerEntra:
		return Layers{EntraOnly: true}, nil
	case LayerAWS:
		return Layers{AWSOnly: true}, nil
	}
	return Layers{}, fmt.Errorf("ssm-runas:layers %q: must be %s, %s or %s", s, LayerAll, LayerEntra, LayerAWS)
}

// Entra reports whether the Entra layer is deployed.
func (l Layers) Entra() bool { return !l.AWSOnly }

// AWS reports whether the AWS layer is deployed.
func (l Layers) AWS() bool { return !l.EntraOnly }
