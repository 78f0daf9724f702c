package otelpeer

import (
	"net"
	"runtime"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/duplexrpc/duplex/peer"
)

// peerInfo is what the spans of one peer share: its wire, and its
// connection's addresses as a caller and as a server see them. It is
// worked out once per peer, since formatting an address costs an
// allocation per call otherwise.
type peerInfo struct {
	wire   wire
	client []attribute.KeyValue // calling: the other end is the server
	server []attribute.KeyValue // serving: this end is the server
}

// peerInfoOf returns p's info, made on first use and forgotten when p is
// garbage: a cleanup, not a goroutine, so that the cache holds no peer
// alive and needs no Close.
func (in *Instrumentation) peerInfoOf(p *peer.Peer) *peerInfo {
	id := p.ID()
	if v, ok := in.peers.Load(id); ok {
		return v.(*peerInfo)
	}
	info := newPeerInfo(p)
	if v, loaded := in.peers.LoadOrStore(id, info); loaded {
		return v.(*peerInfo)
	}
	runtime.AddCleanup(p, func(id uint64) { in.peers.Delete(id) }, id)
	return info
}

// addrConn is a connection that knows its addresses: a net.Conn, a TLS or
// WebSocket connection of package transport.
type addrConn interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

func newPeerInfo(p *peer.Peer) *peerInfo {
	info := &peerInfo{wire: wireOf(p.Codec())}
	c, ok := p.Conn().(addrConn)
	if !ok {
		return info // a pipe or stdio: no address to tell
	}
	remoteHost, remotePort, rok := hostPort(c.RemoteAddr())
	localHost, localPort, lok := hostPort(c.LocalAddr())
	if rok {
		info.client = appendAddr(info.client, semconv.ServerAddressKey, semconv.ServerPortKey, remoteHost, remotePort)
		info.client = appendAddr(info.client, semconv.NetworkPeerAddressKey, semconv.NetworkPeerPortKey, remoteHost, remotePort)
		info.server = appendAddr(info.server, semconv.NetworkPeerAddressKey, semconv.NetworkPeerPortKey, remoteHost, remotePort)
	}
	if lok {
		info.server = appendAddr(info.server, semconv.ServerAddressKey, semconv.ServerPortKey, localHost, localPort)
	}
	return info
}

// appendAddr appends an address and, if it has one, its port.
func appendAddr(kv []attribute.KeyValue, hostKey, portKey attribute.Key, host string, port int) []attribute.KeyValue {
	kv = append(kv, hostKey.String(host))
	if port > 0 {
		kv = append(kv, portKey.Int(port))
	}
	return kv
}

// hostPort splits an address into the conventions' address and port: an
// IP address as text, a Unix socket's path with no port. ok is false for
// an address that says nothing (a pipe's).
func hostPort(a net.Addr) (host string, port int, ok bool) {
	switch a := a.(type) {
	case nil:
		return "", 0, false
	case *net.TCPAddr:
		return a.IP.String(), a.Port, true
	case *net.UnixAddr:
		return a.Name, 0, a.Name != ""
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, false
	}
	return h, n, true
}
