#!/usr/bin/env python3
"""Call the Go Arith example over msgpack-rpc from Python.

Start the server, then run the client:

    go run ./examples/arith -listen 127.0.0.1:1234 -codec msgpack
    python3 examples/python/arith_client.py 127.0.0.1 1234

It needs only the msgpack package (Debian: python3-msgpack; pip: msgpack).
The wire is plain msgpack-rpc, one msgpack array per message:

    request       [0, msgid, method, params]
    response      [1, msgid, error, result]
    notification  [2, method, params]

A Go method takes one argument, so params is a list of one value; a Go
struct travels as a map keyed by field name. A failed call has the error
string in `error` and nil in `result`.

To cancel a call, the client sends the notification

    [2, "$/cancelRequest", [msgid]]

naming the call's msgid. The call is still answered, once: by the server's
Arith.Wait with the error "context canceled", at once instead of after the
time it was asked to wait.

The client prints what it gets and exits with status 1 if any answer is not
the expected one.
"""

import socket
import sys
import time

import msgpack

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2

# How long a cancelled Arith.Wait(60000) may take to be answered. The
# server answers it as soon as it reads the cancel; anything near a minute
# would mean the cancel was ignored.
CANCEL_ANSWER_SECONDS = 5

# Each call, with what the Go example's own client prints for its answer.
CALLS = [
    ("Arith.Multiply", {"A": 7, "B": 8}, "Arith.Multiply(7, 8) = 56"),
    ("Arith.Divide", {"A": 17, "B": 5}, "Arith.Divide(17, 5) = 3 remainder 2"),
    ("Arith.Divide", {"A": 1, "B": 0}, "Arith.Divide(1, 0): divide by zero"),
]


class Client:
    """One msgpack-rpc connection, which can have many calls in flight."""

    def __init__(self, host, port, timeout=30):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        # The Unpacker takes bytes as they arrive and yields whole messages,
        # however TCP splits or joins them.
        self.unpacker = msgpack.Unpacker(raw=False)
        self.last_id = 0
        self.answers = {}  # msgid -> (error, result), read but not yet claimed

    def send(self, method, *params):
        """Send a request and return its msgid, without waiting."""
        self.last_id += 1
        msg = [REQUEST, self.last_id, method, list(params)]
        self.sock.sendall(msgpack.packb(msg))
        return self.last_id

    def notify(self, method, *params):
        """Send a notification, which the server never answers."""
        self.sock.sendall(msgpack.packb([NOTIFICATION, method, list(params)]))

    def cancel(self, msgid):
        """Ask the server to cancel the call msgid; wait() still gets its answer."""
        self.notify("$/cancelRequest", msgid)

    def wait(self, msgid, timeout=None):
        """Return (error, result) for the call msgid.

        Answers to other calls read on the way are kept for their turn:
        the server may answer in any order. With a timeout in seconds, a
        call not answered by then raises TimeoutError.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while msgid not in self.answers:
            if deadline is None:
                self.sock.settimeout(self.timeout)
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to msgid {msgid} within {timeout} s")
                self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.unpacker.feed(data)
            for kind, answered, error, result in self.unpacker:
                if kind != RESPONSE:
                    raise ValueError(f"message of type {kind}, want a response")
                self.answers[answered] = (error, result)
        return self.answers.pop(msgid)

    def call(self, method, *params):
        """Call method and wait for its (error, result)."""
        return self.wait(self.send(method, *params))

    def close(self):
        self.sock.close()


def describe(method, args, error, result):
    """Print an answer the way the Go example does."""
    call = f"{method}({args['A']}, {args['B']})"
    if error is not None:
        return f"{call}: {error}"
    if isinstance(result, dict):  # a Quotient
        return f"{call} = {result['Quo']} remainder {result['Rem']}"
    return f"{call} = {result}"


def main():
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} host port", file=sys.stderr)
        return 2
    client = Client(sys.argv[1], int(sys.argv[2]))
    ok = True

    def check(line, want):
        nonlocal ok
        print(line)
        if line != want:
            print(f"  want: {want}", file=sys.stderr)
            ok = False

    # One call at a time.
    for method, args, want in CALLS:
        error, result = client.call(method, args)
        check(describe(method, args, error, result), want)

    # Pipelined: every request is sent before any answer is read, and each
    # answer is matched to its call by msgid.
    msgids = [client.send(method, args) for method, args, _ in CALLS]
    for msgid, (method, args, want) in zip(msgids, CALLS):
        error, result = client.wait(msgid)
        check("pipelined " + describe(method, args, error, result), "pipelined " + want)

    # Cancelled: Wait(60000) would answer "done" after a minute; cancelled,
    # it answers at once with its context's error. The timeout is what
    # tells a cancel the server acted on from one it ignored.
    msgid = client.send("Arith.Wait", 60000)
    client.cancel(msgid)
    try:
        error, result = client.wait(msgid, timeout=CANCEL_ANSWER_SECONDS)
    except TimeoutError as e:  # ours, or the socket's
        print(f"Arith.Wait(60000) not cancelled: no answer within {CANCEL_ANSWER_SECONDS} s ({e})", file=sys.stderr)
        return 1
    if not isinstance(error, str) or "canceled" not in error:
        print(f"  want an error that says the call was canceled, got {error!r}", file=sys.stderr)
        ok = False
    line = f"Arith.Wait(60000) = {result}" if error is None else f"Arith.Wait(60000) cancelled: {error}"
    check(line, "Arith.Wait(60000) cancelled: context canceled")

    # The connection is as good as before the cancel.
    error, result = client.call("Arith.Wait", 10)
    line = f"Arith.Wait(10) = {result}" if error is None else f"Arith.Wait(10): {error}"
    check(line, "Arith.Wait(10) = done")

    client.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
