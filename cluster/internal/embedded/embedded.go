// Package embedded runs a NATS server inside the process, on loopback, for
// the cluster's tests, benchmarks and demo.
package embedded

import (
	"errors"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a NATS server running in this process.
type Server struct{ s *server.Server }

// Start starts a NATS server listening on 127.0.0.1, on a port the system
// picks, and waits until it takes connections.
func Start() (*Server, error) {
	s, err := server.NewServer(&server.Options{
		Host:   "127.0.0.1",
		Port:   server.RANDOM_PORT,
		NoLog:  true,
		NoSigs: true,
	})
	if err != nil {
		return nil, err
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, errors.New("embedded: the NATS server did not start within 10s")
	}
	return &Server{s}, nil
}

// URL is the address clients connect to: nats://127.0.0.1:PORT.
func (s *Server) URL() string { return s.s.ClientURL() }

// Connect connects a client to the server; opts come after the defaults.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(s.URL(), opts...)
}

// Close shuts the server down and waits until it has.
func (s *Server) Close() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}
