//go:build race

package main

// The tests run with -race build the example with -race too, so that a
// data race in it fails the test that ran it.
func init() { raceEnabled = true }
