//go:build !unix

package peer_test

// fdChildEnv is unused where file limits cannot be lowered.
const fdChildEnv = "DUPLEX_FD_CHILD"

func fdChild(string) int { return 2 }
