package jsoneq_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/jsoneq"
)

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"key order and spacing", `{"a":1,"b":[true,null]}`, "{ \"b\": [true, null],\n \"a\": 1 }", true},
		{"number spelling", `{"n":1}`, `{"n":1.0}`, true},
		{"different value", `{"a":1}`, `{"a":2}`, false},
		{"array order matters", `[1,2]`, `[2,1]`, false},
		{"missing key", `{"a":1}`, `{"a":1,"b":null}`, false},
		{"string vs number", `{"a":"1"}`, `{"a":1}`, false},
		{"not JSON", `{"a":`, `{"a":`, false},
		{"empty", ``, ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, jsoneq.Equal([]byte(tc.a), []byte(tc.b)))
			assert.Equal(t, tc.want, jsoneq.Equal([]byte(tc.b), []byte(tc.a)), "must be symmetric")
		})
	}
}

func ExampleEqual() {
	held := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	ours := []byte("{\n  \"Statement\": [],\n  \"Version\": \"2012-10-17\"\n}")
	fmt.Println(jsoneq.Equal(held, ours))
	// Output: true
}
