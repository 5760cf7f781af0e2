package dcbootstrap

import "strings"

// The status parameter of a domain-controller stack is
// /runas/<project>/<stack>/domain-controller/status: the stack creates it
// under that name and passes it to the bootstrap (Domain.StatusParameter),
// and `runas audit` reads it, by stack or by listing a project's.
const (
	statusParameterRoot   = "/runas/"
	statusParameterSuffix = "/domain-controller/status"
)

// StatusParameterName is the status parameter of the domain-controller
// stack stack of the Pulumi project project.
func StatusParameterName(project, stack string) string {
	return StatusParameterPrefix(project) + stack + statusParameterSuffix
}

// StatusParameterPrefix is the path every status parameter of project's
// stacks starts with (ending in /).
func StatusParameterPrefix(project string) string {
	return statusParameterRoot + project + "/"
}

// StatusParameterStack returns the stack whose status parameter name is,
// in project, and false when name is not one (another project's, a deeper
// path, another parameter).
func StatusParameterStack(project, name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, StatusParameterPrefix(project))
	if !ok {
		return "", false
	}
	stack, ok := strings.CutSuffix(rest, statusParameterSuffix)
	if !ok || stack == "" || strings.Contains(stack, "/") {
		return "", false
	}
	return stack, true
}
