//go:build race

package main

// The tests run with -race build the server with -race too, so that a data
// race in it fails the test that ran it: a process that raced exits with
// status 66.
func init() { raceEnabled = true }
