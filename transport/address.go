package transport

import (
	"fmt"
	"net"
	"net/rpc"
	"net/url"
	"strings"
)

// endpoint is a parsed address URL.
type endpoint struct {
	scheme string   // lower case: tcp, unix, tls, ws, wss, http, mem
	host   string   // host:port, or the name of a mem:// address
	path   string   // socket path (unix) or request path (ws, wss, http)
	url    *url.URL // the whole URL, for WebSocket dialing; nil for a bare host:port
}

// parseAddr parses an address URL. An address without "://" is a TCP
// host:port.
func parseAddr(addr string) (endpoint, error) {
	if !strings.Contains(addr, "://") {
		if addr == "" {
			return endpoint{}, fmt.Errorf("%w: empty address", ErrBadAddress)
		}
		return endpoint{scheme: "tcp", host: addr}, nil
	}
	u, err := url.Parse(addr)
	if err != nil {
		return endpoint{}, fmt.Errorf("%w %q: %v", ErrBadAddress, addr, err)
	}
	e := endpoint{scheme: strings.ToLower(u.Scheme), host: u.Host, path: u.Path, url: u}
	switch e.scheme {
	case "tcp", "tls":
		if e.path != "" && e.path != "/" {
			return endpoint{}, fmt.Errorf("%w %q: a %s address has no path", ErrBadAddress, addr, e.scheme)
		}
		e.path = ""
	case "unix":
		// unix:///abs/path has the path in Path; unix://rel/path puts its
		// first element in Host.
		e.path, e.host = u.Host+u.Path, ""
		if e.path == "" {
			return endpoint{}, fmt.Errorf("%w %q: no socket path", ErrBadAddress, addr)
		}
	case "ws", "wss", "http":
		if u.Host == "" {
			return endpoint{}, fmt.Errorf("%w %q: no host", ErrBadAddress, addr)
		}
		if e.path == "" {
			e.path = "/"
			if e.scheme == "http" {
				e.path = rpc.DefaultRPCPath
			}
		}
		if u.Port() == "" {
			port := "80"
			if e.scheme == "wss" {
				port = "443"
			}
			e.host = net.JoinHostPort(u.Hostname(), port)
		}
	case "mem":
		e.host, e.path = u.Host+u.Path, ""
	default:
		return endpoint{}, fmt.Errorf("%w %q in %q", ErrUnknownScheme, u.Scheme, addr)
	}
	if e.host == "" && e.scheme != "unix" && e.scheme != "mem" {
		return endpoint{}, fmt.Errorf("%w %q: no host", ErrBadAddress, addr)
	}
	return e, nil
}
