package otelpeer

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/semconv/v1.43.0/rpcconv"
)

// The names of the in-flight counts. The RPC conventions (v1.43.0) define
// call durations only, so these take the module's prefix rather than a
// name in the conventions' rpc namespace, after HTTP's
// http.server.active_requests.
const (
	ClientActiveCalls = "duplex.rpc.client.active_calls"
	ServerActiveCalls = "duplex.rpc.server.active_calls"
)

// instruments are the metrics of an Instrumentation.
type instruments struct {
	clientDuration rpcconv.ClientCallDuration // rpc.client.call.duration, s
	serverDuration rpcconv.ServerCallDuration // rpc.server.call.duration, s
	clientActive   metric.Int64UpDownCounter
	serverActive   metric.Int64UpDownCounter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var i instruments
	var err error
	// The conventions' names, units, descriptions and bucket boundaries,
	// from the release pinned.
	if i.clientDuration, err = rpcconv.NewClientCallDuration(m); err != nil {
		return i, err
	}
	if i.serverDuration, err = rpcconv.NewServerCallDuration(m); err != nil {
		return i, err
	}
	if i.clientActive, err = m.Int64UpDownCounter(ClientActiveCalls, metric.WithUnit("{call}"),
		metric.WithDescription("Outgoing calls and notifications in flight.")); err != nil {
		return i, err
	}
	if i.serverActive, err = m.Int64UpDownCounter(ServerActiveCalls, metric.WithUnit("{call}"),
		metric.WithDescription("Incoming calls and notifications being served.")); err != nil {
		return i, err
	}
	return i, nil
}
