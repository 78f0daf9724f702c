//go:build !unix

package main

import (
	"os/exec"
	"runtime"
)

// shell runs -exec's command.
var shell = func() []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd", "/C"}
	}
	return []string{"sh", "-c"}
}()

// killGroup does nothing here: the command alone is killed, and WaitDelay
// stops waiting for what its children hold open.
func killGroup(*exec.Cmd) {}
