#!/usr/bin/env python3
"""Call the Go Arith example over msgpack-rpc from Python.

Start the server, then run the client:

    go run ./examples/arith -listen 127.0.0.1:1234 -codec msgpack
    python3 examples/python/arith_client.py 127.0.0.1 1234

It needs only the msgpack package (Debian: python3-msgpack; pip: msgpack).
The wire is plain msgpack-rpc, one msgpack array per message:

    request   [0, msgid, method, params]
    response  [1, msgid, error, result]

A Go method takes one argument, so params is a list of one value; a Go
struct travels as a map keyed by field name. A failed call has the error
string in `error` and nil in `result`.

The client prints what it gets and exits with status 1 if any answer is not
the expected one.
"""

import socket
import sys

import msgpack

REQUEST, RESPONSE = 0, 1

# Each call, with what the Go example's own client prints for its answer.
CALLS = [
    ("Arith.Multiply", {"A": 7, "B": 8}, "Arith.Multiply(7, 8) = 56"),
    ("Arith.Divide", {"A": 17, "B": 5}, "Arith.Divide(17, 5) = 3 remainder 2"),
    ("Arith.Divide", {"A": 1, "B": 0}, "Arith.Divide(1, 0): divide by zero"),
]


class Client:
    """One msgpack-rpc connection, which can have many calls in flight."""

    def __init__(self, host, port, timeout=30):
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

    def wait(self, msgid):
        """Return (error, result) for the call msgid.

        Answers to other calls read on the way are kept for their turn:
        the server may answer in any order.
        """
        while msgid not in self.answers:
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

    client.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
