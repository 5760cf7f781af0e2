//go:build !unix

package broker

import "os"

// userSignals are the signals a console sends on Ctrl-C.
var userSignals = []os.Signal{os.Interrupt}
