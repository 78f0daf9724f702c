// Talk to a Go peer with vscode-jsonrpc, the JSON-RPC library of VS Code and
// its language servers, over TCP with LSP's framing: each message behind a
// Content-Length header. The Go end uses the codec "lsp".
//
// Both ends call and serve. The client calls the Go peer's methods, which
// have LSP-style names (the Go peer maps them to its Go methods), and the
// Go peer calls back the client's own methods, node/hello and node/wait.
// Both ends cancel the way LSP does, with $/cancelRequest:
//
//   - the Go peer gives up on node/wait, and the client's handler sees its
//     CancellationToken fire;
//   - the client gives up on arith/wait, and the Go handler's context ends,
//     so it answers at once with LSP's RequestCancelled (-32800).
//
// The Go peer is the one in lsp_test.go, which runs this client:
//
//	cd examples/node && npm ci && cd ../.. && go test ./examples/node -v
//
// By hand: node lsp_client.mjs host port, against a Go peer that serves the
// same methods. It prints what it gets and exits with status 1 if anything
// is not what it expects.

import net from "node:net";
import { once } from "node:events";
import rpc from "vscode-jsonrpc/node";

const { createMessageConnection, StreamMessageReader, StreamMessageWriter, CancellationTokenSource, ResponseError, ErrorCodes } = rpc;

// LSP's code for a request answered after its cancel (ErrorCodes has the
// JSON-RPC ones; vscode-languageserver-protocol has LSP's).
const REQUEST_CANCELLED = -32800;

// How long anything that should happen at once may take: the waits below
// are a minute long, so an answer within this was cut short.
const PROMPT_MS = 5_000;

// within resolves as promise does, or rejects once ms have passed. It
// clears its timer either way, so that no timer keeps the process alive.
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function main() {
  const [host, port] = process.argv.slice(2);
  if (!host || !port) {
    console.error("usage: node lsp_client.mjs host port");
    return 2;
  }
  const socket = net.connect({ host, port: Number(port) });
  await within(once(socket, "connect"), PROMPT_MS, "connecting");
  const conn = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));

  // The methods the Go peer calls back.
  conn.onRequest("node/hello", ({ name }) => `hello, ${name}`);
  let goCancelled;
  const nodeWaitCancelled = new Promise((resolve) => (goCancelled = resolve));
  conn.onRequest("node/wait", ({ ms }, token) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve("done"), ms);
    timer.unref(); // a wait nobody cancelled must not keep the client alive
    token.onCancellationRequested(() => {
      clearTimeout(timer);
      goCancelled();
      // Tell the Go peer too: it cannot see this handler's token.
      conn.sendNotification("node/cancelled", { method: "node/wait" });
      resolve(new ResponseError(REQUEST_CANCELLED, "cancelled by the Go peer"));
    });
  }));
  conn.listen();
  try {
    return await talk(conn, nodeWaitCancelled) ? 0 : 1;
  } finally {
    conn.dispose();
    socket.end();
  }
}

// talk makes the calls, checks what comes back, and reports whether all of
// it was as expected.
async function talk(conn, nodeWaitCancelled) {
  let ok = true;
  const check = (line, want) => {
    console.log(line);
    if (line !== want) {
      console.error(`  want: ${want}`);
      ok = false;
    }
  };

  const product = await conn.sendRequest("arith/multiply", { A: 7, B: 8 });
  check(`arith/multiply {"A":7,"B":8} = ${product}`, `arith/multiply {"A":7,"B":8} = 56`);

  // The Go handler calls node/hello back before it answers.
  const greeting = await conn.sendRequest("demo/greet", "node");
  check(`demo/greet "node" = ${greeting}`, `demo/greet "node" = Go called node/hello back, which said: hello, node`);

  // The Go handler calls node/wait, a minute long, and gives up after 200 ms.
  const gaveUp = await within(conn.sendRequest("demo/giveUp", 200), PROMPT_MS, "demo/giveUp");
  check(`demo/giveUp 200 = ${gaveUp}`, "demo/giveUp 200 = gave up on node/wait after 200ms");
  await within(nodeWaitCancelled, PROMPT_MS, "node/wait's CancellationToken");
  check("node/wait: its CancellationToken fired", "node/wait: its CancellationToken fired");

  // This client gives up on arith/wait, a minute long, after 100 ms.
  const source = new CancellationTokenSource();
  const waiting = conn.sendRequest("arith/wait", 60000, source.token);
  setTimeout(() => source.cancel(), 100);
  try {
    const r = await within(waiting, PROMPT_MS, "the cancelled arith/wait");
    check(`arith/wait 60000 = ${r}`, "arith/wait 60000: cancelled");
  } catch (e) {
    const line = e instanceof ResponseError ? `arith/wait 60000: cancelled: error ${e.code} ${e.message}` : `arith/wait 60000: ${e.message}`;
    check(line, `arith/wait 60000: cancelled: error ${REQUEST_CANCELLED} context canceled`);
  }

  // The connection is as good as before.
  const done = await within(conn.sendRequest("arith/wait", 10), PROMPT_MS, "arith/wait 10");
  check(`arith/wait 10 = ${done}`, "arith/wait 10 = done");

  // A method the Go peer does not have: LSP's "method not found".
  try {
    await conn.sendRequest("arith/nope", {});
    check("arith/nope answered", `arith/nope: error ${ErrorCodes.MethodNotFound}`);
  } catch (e) {
    check(`arith/nope: error ${e.code}`, `arith/nope: error ${ErrorCodes.MethodNotFound}`);
  }

  return ok;
}

process.exitCode = await main().catch((e) => {
  console.error(e);
  return 1;
});
