//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// shell runs -exec's command.
var shell = []string{"/bin/sh", "-c"}

// killGroup makes the command a process group of its own, and its end kill
// the whole group: a shell's children too, which would otherwise hold its
// output open.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
