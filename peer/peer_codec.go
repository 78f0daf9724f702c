package peer

import "github.com/duplexrpc/duplex/codec"

// Codec returns the wire format the peer speaks, for code that carries
// its bodies elsewhere undecoded (codec.Raw) and must know their encoding.
func (p *Peer) Codec() codec.Codec { return p.codec }
