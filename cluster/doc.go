// Package cluster makes workers reachable by name from any process that
// reaches a NATS server, past the one master each worker dialed.
//
// A [Master] joins the cluster from a process that accepts workers (a
// peer.Hub): each worker it adds under a name ([Master.Add], or a naming
// hook: a handshake call to [Master.Service], the TLS identity, the
// Binder) is reachable from then on. Calls for that name arrive over NATS
// and are relayed to the worker over its own connection, their bodies
// undecoded (codec.Raw): a master needs none of its workers' Go types.
//
// A [Client] runs anywhere that reaches NATS: a web backend, a
// scheduler, a CLI, with no worker connection of its own. It calls a
// worker by name ([Client.Call], [Client.Notify]), fans out to every
// worker or to a set ([Client.CallAll], [Client.CallEach]), and lists
// who is connected, and where ([Client.Workers]). Errors are those of a
// direct connection; a name no master holds fails at once with
// [ErrNoWorker] (NATS's no-responders); a caller's cancel travels through
// NATS and the master to the worker's handler.
//
// Failover: a worker given every master's address (peer.DialAny) redials
// another master when its own dies, and joins again there
// (RedialOptions.OnConnect calling [Join]). Calls are at most once: a
// caller calling throughout sees errors during the gap, never a wrong or
// a duplicated reply.
//
// The package lives in a module of its own, github.com/duplexrpc/duplex/cluster,
// so that the library module stays free of NATS. Its subjects, headers
// and presence protocol are written down in docs/cluster.md.
package cluster
