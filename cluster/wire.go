package cluster

import (
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// The NATS subjects of a cluster, under its prefix P (docs/cluster.md §3):
//
//	P.call.NAME      a call or notification for worker NAME; each master
//	                 holding NAME subscribes in the queue group "duplex"
//	P.cancel         a caller gave up on a call or fan-out; every master
//	P.fanout.ID      a fan-out to the workers of master ID
//	P.presence       the masters' presence: snapshots, beats and byes
//	P.snapshot.ID    ask master ID for its snapshot
//	P.sync           ask every master for its snapshot
const (
	subjCall     = ".call."
	subjCancel   = ".cancel"
	subjFanout   = ".fanout."
	subjPresence = ".presence"
	subjSnapshot = ".snapshot."
	subjSync     = ".sync"
	queueGroup   = "duplex"
)

// The headers of a request and of its reply.
const (
	hMethod  = "Duplex-Method"  // the method to call, "Service.Method"
	hKind    = "Duplex-Kind"    // "notify" for a notification; absent for a call
	hCall    = "Duplex-Call"    // the call's id, which a cancel names
	hTimeout = "Duplex-Timeout" // what is left of the caller's deadline, in ms
	hCodec   = "Duplex-Codec"   // the codec whose wire the body is in
	hWorkers = "Duplex-Workers" // a fan-out's workers, space-separated; absent: all
	hStatus  = "Duplex-Status"  // a reply's outcome: absent for success
	hError   = "Duplex-Error"   // the error's text, with a status
	hMaster  = "Duplex-Master"  // the master that answered
	hDone    = "Duplex-Done"    // on a fan-out's last reply: the results in all
	hMeta    = "Duplex-Meta"    // the call's metadata, a JSON object of strings; absent: none
	hCode    = "Duplex-Code"    // a remote error's code, in decimal, with status remote; absent: 0
)

// kindNotify is the value of hKind for a notification.
const kindNotify = "notify"

// The statuses of a reply (hStatus). A reply with none carries the
// result.
const (
	statusRemote    = "remote"    // the worker's handler failed: hError is its text, hCode its code, the body its data
	statusBusy      = "busy"      // the worker refused the call: too many in flight
	statusDraining  = "draining"  // the worker refused the call: shutting down
	statusClosed    = "closed"    // the worker's connection ended before it answered
	statusNoWorker  = "noworker"  // the master holds no worker of that name
	statusCodec     = "codec"     // the body is not in the worker's encoding
	statusEncode    = "encode"    // the body could not be written on the worker's wire
	statusCancelled = "cancelled" // the caller cancelled the call
	statusDeadline  = "deadline"  // the caller's deadline passed
	statusFailed    = "failed"    // anything else, at the master
)

func callSubject(prefix, worker string) string     { return prefix + subjCall + worker }
func fanoutSubject(prefix, master string) string   { return prefix + subjFanout + master }
func snapshotSubject(prefix, master string) string { return prefix + subjSnapshot + master }
func workerOf(prefix, subj string) (string, bool)  { return strings.CutPrefix(subj, prefix+subjCall) }
func timeoutHeader(d time.Duration) string         { return strconv.FormatInt(max(d.Milliseconds(), 1), 10) }
func headerOf(m *nats.Msg, key string) string {
	if m.Header == nil {
		return ""
	}
	return m.Header.Get(key)
}

// timeoutOf reads hTimeout: ok is false when the caller has no deadline.
func timeoutOf(m *nats.Msg) (time.Duration, bool) {
	ms, err := strconv.ParseInt(headerOf(m, hTimeout), 10, 64)
	if err != nil || ms <= 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}
