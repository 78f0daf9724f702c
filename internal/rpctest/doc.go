// Package rpctest holds what the repository's tests share: net/rpc services
// that exercise the codecs, and a check that tests leave no goroutine
// behind.
package rpctest
