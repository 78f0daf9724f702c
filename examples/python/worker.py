#!/usr/bin/env python3
"""A worker for the Go masterworker example, in Python, over msgpack-rpc.

Start the master, then the worker:

    go run ./examples/masterworker master -listen 127.0.0.1:1234 -codec msgpack
    /usr/bin/python3 examples/python/worker.py 127.0.0.1 1234 snake

The worker dials the master and is then both a server and a client on that
one socket, as the Go worker is:

  - it serves Echo.Echo, which the master calls five times on every worker
    that connects ("hello client!:0" to "hello client!:4");
  - it calls Master.Hello(name). Before the master answers, it calls the
    worker back with Echo.Echo("ping from master"), so that request arrives
    while the worker is still waiting for its answer, and the worker must
    answer it first.

Once it has echoed the five greetings and has the answer to its hello, the
worker exits with status 0. If that takes more than 30 seconds, or the
master hangs up first, it exits with status 1.

It needs only the msgpack package (Debian: python3-msgpack; pip: msgpack).
The wire is plain msgpack-rpc, one msgpack array per message, in either
direction:

    request       [0, msgid, method, params]
    response      [1, msgid, error, result]
    notification  [2, method, params]

A Go method takes one argument, so params is a list of one value. Each side
numbers its own requests; a msgid says which request a response answers,
and says nothing about requests going the other way.
"""

import socket
import sys
import time

import msgpack

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2

GREETING = "hello client!:"  # the master's five echo calls: GREETING + "0" … "4"
GREETINGS = 5
TIMEOUT = 30  # seconds for the whole run


class Worker:
    """One connection to the master, calling and serving at once.

    There are no threads: whoever waits for something reads the socket,
    and answers the requests it finds on the way.
    """

    def __init__(self, host, port, name, timeout=TIMEOUT):
        self.deadline = time.monotonic() + timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.name = name
        # The Unpacker takes bytes as they arrive and yields whole messages,
        # however TCP splits or joins them.
        self.unpacker = msgpack.Unpacker(raw=False)
        self.last_id = 0
        self.answers = {}  # msgid -> (error, result), read but not yet claimed
        self.greeted = set()  # the greetings echoed so far

    def say(self, what):
        print(f"worker {self.name}: {what}")

    # --- the server half -------------------------------------------------

    def echo(self, s):
        """Echo.Echo: answer the argument unchanged."""
        self.say(f'echoing "{s}"')
        if isinstance(s, str) and s.startswith(GREETING):
            self.greeted.add(s)
        return s

    def serve(self, msgid, method, params):
        """Answer one request of the master."""
        if method == "Echo.Echo" and len(params) == 1:
            error, result = None, self.echo(params[0])
        else:
            error, result = f"rpc: can't find method {method}", None
        self.send([RESPONSE, msgid, error, result])

    # --- the client half -------------------------------------------------

    def call(self, method, *params):
        """Call method on the master and return (error, result).

        While it waits, it serves whatever the master asks, which may
        well be a call that the master makes in order to answer this one.
        """
        self.last_id += 1
        msgid = self.last_id
        self.send([REQUEST, msgid, method, list(params)])
        while msgid not in self.answers:
            self.read()
        return self.answers.pop(msgid)

    # --- the socket ------------------------------------------------------

    def send(self, msg):
        self.sock.sendall(msgpack.packb(msg))

    def read(self):
        """Read what the socket has, and handle every whole message in it."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the master took too long")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the master closed the connection")
        self.unpacker.feed(data)
        for msg in self.unpacker:
            kind = msg[0]
            if kind == REQUEST:
                _, msgid, method, params = msg
                self.serve(msgid, method, params)
            elif kind == RESPONSE:
                _, msgid, error, result = msg
                self.answers[msgid] = (error, result)
            elif kind == NOTIFICATION:
                pass  # nobody asked for an answer; heartbeats are notifications
            else:
                raise ValueError(f"message of type {kind}, want 0, 1 or 2")

    def close(self):
        self.sock.close()


def main():
    if len(sys.argv) != 4:
        print(f"usage: {sys.argv[0]} HOST PORT NAME", file=sys.stderr)
        return 2
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sys.stdout.reconfigure(line_buffering=True)  # one line at a time, even into a pipe

    try:
        worker = Worker(host, port, name)
        worker.say(f"connected to {host}:{port}")
        try:
            error, answer = worker.call("Master.Hello", name)
            if error is not None:
                worker.say(f"Master.Hello failed: {error}")
                return 1
            worker.say(f'the master answered "{answer}"')
            while len(worker.greeted) < GREETINGS:
                worker.read()
        finally:
            worker.close()
    except (OSError, ValueError) as e:  # TimeoutError and ConnectionError are OSErrors
        print(f"worker {name}: {e}", file=sys.stderr)
        return 1
    worker.say(f"echoed {GREETINGS} greetings; leaving")
    return 0


if __name__ == "__main__":
    sys.exit(main())
