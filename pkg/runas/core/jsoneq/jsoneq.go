package jsoneq

import (
	"encoding/json"
	"reflect"
)

// Equal reports whether a and b are both valid JSON texts holding the same
// value. Text that is not JSON (including empty input) equals nothing.
func Equal(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
