package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// memListeners holds the open mem:// listeners of this process by name.
var memListeners = struct {
	sync.Mutex
	byName map[string]*queueListener
	next   int
}{byName: make(map[string]*queueListener)}

// listenMemory registers an in-process listener under name; an empty name
// picks an unused one, as port 0 does for TCP. Its Addr().String() is the
// mem:// URL to dial. Connections are Pipe pairs.
func listenMemory(name string) (net.Listener, error) {
	memListeners.Lock()
	defer memListeners.Unlock()
	if name == "" {
		for name == "" || memListeners.byName[name] != nil {
			memListeners.next++
			name = strconv.Itoa(memListeners.next)
		}
	}
	if memListeners.byName[name] != nil {
		return nil, fmt.Errorf("%w: mem://%s", ErrAddrInUse, name)
	}
	l := newQueueListener(memAddr(name))
	l.stop = func() error {
		memListeners.Lock()
		delete(memListeners.byName, name)
		memListeners.Unlock()
		return nil
	}
	memListeners.byName[name] = l
	return l, nil
}

// dialMemory connects to the mem:// listener called name, waiting within
// ctx for it to Accept.
func dialMemory(ctx context.Context, name string) (net.Conn, error) {
	memListeners.Lock()
	l := memListeners.byName[name]
	memListeners.Unlock()
	if l == nil {
		return nil, fmt.Errorf("%w: mem://%s", ErrNoListener, name)
	}
	client, server := newPipe(memAddr("client"), memAddr(name))
	if err := l.deliver(ctx, server); err != nil {
		client.Close()
		server.Close()
		if errors.Is(err, net.ErrClosed) {
			return nil, fmt.Errorf("%w: mem://%s", ErrNoListener, name)
		}
		return nil, err
	}
	return client, nil
}
