//go:build race

package main_test

// The tests run with -race build the server with -race too, so that a
// data race in it fails the test that ran it.
func init() { raceEnabled = true }
