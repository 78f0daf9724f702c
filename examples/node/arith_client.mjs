// Call the Go Arith example over msgpack-rpc from Node.js.
//
// Start the server, install the one dependency, then run the client:
//
//	go run ./examples/arith -listen 127.0.0.1:1234 -codec msgpack
//	cd examples/node && npm ci && node arith_client.mjs 127.0.0.1 1234
//
// The wire is plain msgpack-rpc, one msgpack array per message:
//
//	request       [0, msgid, method, params]
//	response      [1, msgid, error, result]
//	notification  [2, method, params]
//
// A Go method takes one argument, so params is a list of one value; a Go
// struct travels as a map keyed by field name. A failed call has the error
// string in `error` and null in `result`.
//
// To cancel a call, the client sends the notification
//
//	[2, "$/cancelRequest", [msgid]]
//
// naming the call's msgid. The call is still answered, once: by the
// server's Arith.Wait with the error "context canceled", at once instead of
// after the time it was asked to wait.
//
// The client prints what it gets and exits with status 1 if any answer is
// not the expected one.

import net from "node:net";
import { once } from "node:events";
import { encode, decodeMultiStream } from "@msgpack/msgpack";

const REQUEST = 0;
const RESPONSE = 1;
const NOTIFICATION = 2;

// How long a cancelled Arith.Wait(60000) may take to be answered. The
// server answers it as soon as it reads the cancel; anything near a minute
// would mean the cancel was ignored.
const CANCEL_ANSWER_MS = 5_000;

// Each call, with what the Go example's own client prints for its answer.
const CALLS = [
  ["Arith.Multiply", { A: 7, B: 8 }, "Arith.Multiply(7, 8) = 56"],
  ["Arith.Divide", { A: 17, B: 5 }, "Arith.Divide(17, 5) = 3 remainder 2"],
  ["Arith.Divide", { A: 1, B: 0 }, "Arith.Divide(1, 0): divide by zero"],
];

// Client is one msgpack-rpc connection, which can have many calls in flight.
class Client {
  #socket;
  #lastId = 0;
  #pending = new Map(); // msgid -> {resolve, reject} of a call not yet answered
  #closed = null; // the error that ended the connection

  static async connect(host, port, timeoutMs = 30_000) {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("timed out")));
    await once(socket, "connect");
    return new Client(socket);
  }

  constructor(socket) {
    this.#socket = socket;
    this.#readLoop();
  }

  // decodeMultiStream yields whole messages however TCP splits or joins
  // them: a message may span chunks, and a chunk may hold several.
  async #readLoop() {
    let err = new Error("the server closed the connection");
    try {
      for await (const msg of decodeMultiStream(this.#socket)) {
        const [kind, msgid, error, result] = msg;
        if (kind !== RESPONSE) {
          throw new Error(`message of type ${kind}, want a response`);
        }
        this.#pending.get(msgid)?.resolve({ error, result });
        this.#pending.delete(msgid);
      }
    } catch (e) {
      err = e;
    }
    this.#closed = err;
    this.#socket.destroy();
    for (const { reject } of this.#pending.values()) reject(err);
    this.#pending.clear();
  }

  // send sends a request and returns its msgid, to cancel it by, and its
  // answer, a promise of {error, result}.
  send(method, ...params) {
    if (this.#closed) return { msgid: 0, answer: Promise.reject(this.#closed) };
    const msgid = ++this.#lastId;
    const answer = new Promise((resolve, reject) => {
      this.#pending.set(msgid, { resolve, reject });
    });
    this.#socket.write(encode([REQUEST, msgid, method, params]));
    return { msgid, answer };
  }

  // call sends a request and resolves to {error, result} when its answer
  // comes; calls made before others are answered are pipelined.
  call(method, ...params) {
    return this.send(method, ...params).answer;
  }

  // notify sends a notification, which the server never answers.
  notify(method, ...params) {
    if (this.#closed) throw this.#closed;
    this.#socket.write(encode([NOTIFICATION, method, params]));
  }

  // cancel asks the server to cancel the call msgid; its answer still
  // comes, to the promise send returned.
  cancel(msgid) {
    this.notify("$/cancelRequest", msgid);
  }

  close() {
    this.#socket.end();
  }
}

// within resolves as promise does, or rejects once ms have passed without
// an answer. It clears its timer either way: a pending timer would keep the
// process alive after main returns.
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// describe prints an answer the way the Go example does.
function describe(method, args, { error, result }) {
  const call = `${method}(${args.A}, ${args.B})`;
  if (error != null) return `${call}: ${error}`;
  if (result !== null && typeof result === "object") return `${call} = ${result.Quo} remainder ${result.Rem}`;
  return `${call} = ${result}`;
}

async function main() {
  const [host, port] = process.argv.slice(2);
  if (!host || !port) {
    console.error("usage: node arith_client.mjs host port");
    return 2;
  }
  const client = await Client.connect(host, Number(port));
  let ok = true;
  const check = (line, want) => {
    console.log(line);
    if (line !== want) {
      console.error(`  want: ${want}`);
      ok = false;
    }
  };

  // One call at a time.
  for (const [method, args, want] of CALLS) {
    check(describe(method, args, await client.call(method, args)), want);
  }

  // Pipelined: every request is sent before any answer is read, and each
  // answer is matched to its call by msgid.
  const answers = await Promise.all(CALLS.map(([method, args]) => client.call(method, args)));
  CALLS.forEach(([method, args, want], i) => {
    check("pipelined " + describe(method, args, answers[i]), "pipelined " + want);
  });

  // Cancelled: Wait(60000) would answer "done" after a minute; cancelled,
  // it answers at once with its context's error. The timeout is what tells
  // a cancel the server acted on from one it ignored.
  const { msgid, answer } = client.send("Arith.Wait", 60000);
  client.cancel(msgid);
  let waited;
  try {
    waited = await within(answer, CANCEL_ANSWER_MS, "the cancelled Arith.Wait(60000)");
  } catch (e) {
    console.error(`Arith.Wait(60000) not cancelled: ${e.message}`);
    client.close();
    return 1;
  }
  if (typeof waited.error !== "string" || !waited.error.includes("canceled")) {
    console.error(`  want an error that says the call was canceled, got ${JSON.stringify(waited.error)}`);
    ok = false;
  }
  check(
    waited.error != null ? `Arith.Wait(60000) cancelled: ${waited.error}` : `Arith.Wait(60000) = ${waited.result}`,
    "Arith.Wait(60000) cancelled: context canceled",
  );

  // The connection is as good as before the cancel.
  const done = await client.call("Arith.Wait", 10);
  check(done.error != null ? `Arith.Wait(10): ${done.error}` : `Arith.Wait(10) = ${done.result}`, "Arith.Wait(10) = done");

  client.close();
  return ok ? 0 : 1;
}

process.exitCode = await main();
