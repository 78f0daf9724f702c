package transport

import (
	"errors"
	"net"
	"net/http"
)

// serveHTTP serves h on inner in a goroutine of its own; closing q shuts
// the server down and waits for that goroutine. The handler feeds q with
// the connections it upgrades or hijacks.
func serveHTTP(q *queueListener, inner net.Listener, h http.Handler, opts *Options) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: opts.handshakeTimeout(),
		ErrorLog:          opts.httpErrorLog(),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := srv.Serve(inner)
		if errors.Is(err, http.ErrServerClosed) {
			return
		}
		// The server died on its own: every Accept from now on fails.
		for {
			select {
			case q.errs <- err:
			case <-q.done:
				return
			}
		}
	}()
	q.stop = func() error {
		err := srv.Close()
		<-done
		return err
	}
}

// onlyPath serves h at exactly path and answers 404 elsewhere.
func onlyPath(path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
