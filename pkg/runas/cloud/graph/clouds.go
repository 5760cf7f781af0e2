package graph

import (
	"fmt"
	"net/url"
	"strings"
)

// TokenService is what a token for one Microsoft Graph deployment needs:
// the scope, which must name that deployment's own host, and the Entra
// authority that issues it. A token for graph.microsoft.com is refused by
// the national clouds' Graph, and their authorities issue none for it.
type TokenService struct {
	// Scope is "https://<graph host>/.default".
	Scope string
	// AuthorityHost is the Entra ID endpoint of the cloud, with a
	// trailing slash as azidentity takes it.
	AuthorityHost string
}

// authorities are the Entra ID endpoints of the Microsoft Graph
// deployments, by Graph host.
// https://learn.microsoft.com/en-us/graph/deployments
var authorities = map[string]string{
	"graph.microsoft.com":             "https://login.microsoftonline.com/",
	"graph.microsoft.us":              "https://login.microsoftonline.us/", // US Government L4 (GCC High)
	"dod-graph.microsoft.us":          "https://login.microsoftonline.us/", // US Government L5 (DoD)
	"microsoftgraph.chinacloudapi.cn": "https://login.chinacloudapi.cn/",   // operated by 21Vianet
}

// TokenServiceFor returns the token service of the Microsoft Graph
// deployment at baseURL; a host that is no Graph deployment is refused,
// naming the ones there are.
func TokenServiceFor(baseURL string) (TokenService, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return TokenService{}, fmt.Errorf("graph URL %q: must be an absolute URL", baseURL)
	}
	host := strings.ToLower(u.Hostname())
	authority, ok := authorities[host]
	if !ok || u.Scheme != "https" || u.Port() != "" {
		return TokenService{}, fmt.Errorf("graph URL %q: not a Microsoft Graph deployment whose tokens the credential chain can get "+
			"(https://graph.microsoft.com, https://graph.microsoft.us, https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn)", baseURL)
	}
	return TokenService{Scope: "https://" + host + "/.default", AuthorityHost: authority}, nil
}
