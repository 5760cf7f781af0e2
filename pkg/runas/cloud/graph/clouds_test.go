package graph_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/graph"
)

func TestTokenServiceFor(t *testing.T) {
	for url, want := range map[string]graph.TokenService{
		graph.DefaultBaseURL:                           {Scope: graph.Scope, AuthorityHost: "https://login.microsoftonline.com/"},
		"https://graph.microsoft.us/v1.0":              {Scope: "https://graph.microsoft.us/.default", AuthorityHost: "https://login.microsoftonline.us/"},
		"https://DOD-Graph.microsoft.us/v1.0/":         {Scope: "https://dod-graph.microsoft.us/.default", AuthorityHost: "https://login.microsoftonline.us/"},
		"https://microsoftgraph.chinacloudapi.cn/v1.0": {Scope: "https://microsoftgraph.chinacloudapi.cn/.default", AuthorityHost: "https://login.chinacloudapi.cn/"},
	} {
		got, err := graph.TokenServiceFor(url)
		require.NoError(t, err, url)
		assert.Equal(t, want, got, url)
	}
	for _, url := range []string{
		"http://127.0.0.1:8080/v1.0",            // a stand-in: a static token only
		"http://graph.microsoft.com/v1.0",       // not TLS
		"https://graph.microsoft.com:8443/v1.0", // not Graph's port
		"https://graph.microsoft.com.evil.example/v1.0",
		"graph.microsoft.com/v1.0",
	} {
		_, err := graph.TokenServiceFor(url)
		assert.ErrorContains(t, err, "graph URL", url)
	}
}
