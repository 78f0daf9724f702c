// Package transporttest issues throwaway TLS certificates, so that tests of
// code running over tls:// and wss:// transports (including mutual TLS) can
// build their own trust at run time, offline, with no files.
//
// The certificates are for tests only: their keys live in memory and their
// authorities are trusted by nothing but the pools built from them.
package transporttest
