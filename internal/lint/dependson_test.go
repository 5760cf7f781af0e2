package lint

import (
	"go/ast"
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

const pulumiPkg = "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// TestNoDependsOnComponent: pulumi.DependsOn on a component resource
// waits only for the children the Go SDK has attached to it when the
// dependent registers. Children attach from goroutines, so the
// dependency is sometimes empty and the engine may create the dependent
// first (a permission set before the ABAC configuration, a session role
// before the broker role it trusts). Components expose Ready() with their
// custom resources; depend on that. This check finds a component written
// into a DependsOn list.
func TestNoDependsOnComponent(t *testing.T) {
	pkgs, err := packages.Load(&packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:  "../..",
	}, "./pkg/...", "./stacks/...")
	require.NoError(t, err)
	require.NotEmpty(t, pkgs)
	checked := 0
	for _, p := range pkgs {
		for _, e := range p.Errors {
			t.Errorf("%s: %v", p.PkgPath, e)
		}
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !isPulumiFunc(p.TypesInfo, call.Fun, "DependsOn") {
					return true
				}
				checked++
				for _, arg := range call.Args {
					lit, ok := ast.Unparen(arg).(*ast.CompositeLit)
					if !ok {
						continue
					}
					for _, el := range lit.Elts {
						if name, ok := component(p.TypesInfo.TypeOf(el)); ok {
							t.Errorf("%s: DependsOn names the component %s; depend on its Ready() instead",
								p.Fset.Position(el.Pos()), name)
						}
					}
				}
				return true
			})
		}
	}
	assert.Positive(t, checked, "no pulumi.DependsOn call found: the check looks in the wrong place")
}

func TestComponentRecognisesTheShapes(t *testing.T) {
	ps := types.NewPackage(pulumiPkg, "pulumi")
	state := func(name string) *types.Named {
		return types.NewNamed(types.NewTypeName(0, ps, name, nil), types.NewStruct(nil, nil), nil)
	}
	embedding := func(name string, embedded *types.Named) types.Type {
		own := types.NewPackage("example.com/own", "own")
		s := types.NewStruct([]*types.Var{types.NewField(0, own, embedded.Obj().Name(), embedded, true)}, nil)
		return types.NewPointer(types.NewNamed(types.NewTypeName(0, own, name, nil), s, nil))
	}
	_, ok := component(embedding("Broker", state("ResourceState")))
	assert.True(t, ok, "a struct embedding pulumi.ResourceState is a component")
	_, ok = component(embedding("Role", state("CustomResourceState")))
	assert.False(t, ok, "a custom resource is not")
	_, ok = component(types.Typ[types.String])
	assert.False(t, ok)
}

// isPulumiFunc reports whether fun is the pulumi SDK's function name.
func isPulumiFunc(info *types.Info, fun ast.Expr, name string) bool {
	sel, ok := ast.Unparen(fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	f, ok := info.Uses[sel.Sel].(*types.Func)
	return ok && f.Name() == name && f.Pkg() != nil && f.Pkg().Path() == pulumiPkg
}

// component reports whether t is (a pointer to) a struct that embeds
// pulumi.ResourceState directly, as every component resource does;
// custom resources embed pulumi.CustomResourceState.
func component(t types.Type) (string, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok {
		return "", false
	}
	s, ok := named.Underlying().(*types.Struct)
	if !ok {
		return "", false
	}
	for i := range s.NumFields() {
		f := s.Field(i)
		if !f.Embedded() {
			continue
		}
		if n, ok := f.Type().(*types.Named); ok && n.Obj().Pkg() != nil &&
			n.Obj().Pkg().Path() == pulumiPkg && n.Obj().Name() == "ResourceState" {
			return named.Obj().Name(), true
		}
	}
	return "", false
}
