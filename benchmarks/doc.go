// Package benchmarks measures package peer against the stock net/rpc codecs,
// other Go RPC libraries and a raw TCP echo, all doing the same calls with the
// same values in the same run.
//
// It is its own module, so that importers of the library never download the
// libraries it is compared with. Every stack under test is an [Impl]: given
// the two ends of one connection, it returns a [Caller] that makes calls from
// either end. The benchmarks and the correctness test in this package's tests
// drive them all through that one interface; run.sh turns a run into
// docs/benchmarks.md.
package benchmarks
