//go:build unix

package broker

import (
	"os"
	"syscall"
)

// userSignals are the signals a terminal sends on Ctrl-C, Ctrl-\ and Ctrl-Z.
var userSignals = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTSTP}
