package samlmeta_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/samlmeta/samlmetatest"
)

const (
	tenantID    = samlmetatest.TenantID
	entraIssuer = samlmetatest.Issuer
)

var now = date(2026, 3, 1)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type (
	testCert = samlmetatest.Cert
	spec     = samlmetatest.Metadata
)

// loadKeys reads the fixed test keys (testdata/test-keys.pem): with them the
// generated certificates and signatures are the same on every run (RSA
// PKCS#1 v1.5 signing has no randomness), so golden files stay stable.
func loadKeys(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile("testdata/test-keys.pem")
	require.NoError(t, err)
	var keys []*rsa.PrivateKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		require.NoError(t, err)
		keys = append(keys, k)
	}
	require.Len(t, keys, 3)
	return keys
}

// makeCerts returns three self-signed certificates like Entra's, made by
// the test: one expired, one current, one newer and current.
func makeCerts(t testing.TB) []testCert {
	keys := loadKeys(t)
	spans := [][2]time.Time{
		{date(2020, 1, 1), date(2023, 1, 1)},
		{date(2024, 1, 1), date(2027, 1, 1)},
		{date(2025, 6, 1), date(2028, 6, 1)},
	}
	var out []testCert
	for i, k := range keys {
		out = append(out, samlmetatest.NewCert(t, k, int64(i+1), spans[i][0], spans[i][1]))
	}
	return out
}

// attackerCert is a certificate with a fresh key, as someone forging
// metadata would make.
func attackerCert(t testing.TB) testCert {
	return samlmetatest.FreshCert(t, 666, date(2025, 1, 1), date(2030, 1, 1))
}

func toUTF16(_ testing.TB, utf8Data []byte, bigEndian bool) []byte {
	return samlmetatest.UTF16(utf8Data, bigEndian)
}

// replaceOnce edits generated metadata and fails the test when old is absent.
func replaceOnce(t testing.TB, in []byte, old, new string) []byte {
	t.Helper()
	require.Contains(t, string(in), old)
	return bytes.Replace(in, []byte(old), []byte(new), 1)
}
