// Talk to a Go peer.Hub over a WebSocket with the json-rpc-2.0 package's
// JSONRPCServerAndClient, set up exactly as the package's README shows it
// for "Bi-directional JSON-RPC": every request and answer is sent with
// webSocket.send(JSON.stringify(...)), a text message without a newline,
// and every message received goes to receiveAndSend. The WebSocket is the
// ws package's, which is the browser's API in Node 20 (Node 22 has it
// built in). The Go end uses the codec "jsonrpc2" or "jsonrpc2-lines".
//
// Both ends call and serve: the client calls Arith.Multiply and
// Arith.Divide, and Demo.Add, whose Go handler calls back the client's own
// "add" before it answers; Demo.Later answers at once and calls the
// client's "done" afterwards, from a goroutine of its own.
//
// The Go peer is the one in jsonrpc_ws_test.go, which runs this client:
//
//	cd examples/node && npm ci && cd ../.. && go test ./examples/node -v
//
// By hand: node jsonrpc_ws_client.mjs ws://host:port/rpc. It prints what it
// gets, and the kinds of message (text, binary) the Go end sent it.

import WebSocket from "ws";
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from "json-rpc-2.0";

const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: node jsonrpc_ws_client.mjs ws://host:port/path");
  process.exit(2);
}

// From here to the methods, the README's setup, unchanged.
const webSocket = new WebSocket(url);

const serverAndClient = new JSONRPCServerAndClient(
  new JSONRPCServer(),
  new JSONRPCClient((request) => {
    try {
      webSocket.send(JSON.stringify(request));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  })
);

webSocket.onmessage = (event) => {
  serverAndClient.receiveAndSend(JSON.parse(event.data.toString()));
};

// On close, make sure to reject all the pending requests to prevent hanging.
webSocket.onclose = (event) => {
  serverAndClient.rejectAllPendingRequests(`Connection is closed (${event.reason}).`);
};

// What the Go end sent: a string is a text message, a Buffer a binary one.
const kinds = new Set();
webSocket.addEventListener("message", (event) => {
  kinds.add(typeof event.data === "string" ? "text" : "binary");
});

// The client's own methods, which the Go end calls: positional params.
serverAndClient.addMethod("add", ([x, y]) => x + y);
let done;
const finished = new Promise((resolve) => (done = resolve));
serverAndClient.addMethod("done", ([sum]) => {
  done(sum);
  return "ok";
});

webSocket.onopen = async () => {
  try {
    const product = await serverAndClient.request("Arith.Multiply", { A: 7, B: 8 });
    console.log(`Arith.Multiply {"A":7,"B":8} = ${product}`);
    try {
      await serverAndClient.request("Arith.Divide", { A: 1, B: 0 });
      console.log("Arith.Divide {\"A\":1,\"B\":0} answered");
    } catch (error) {
      console.log(`Arith.Divide {"A":1,"B":0}: error ${error.message}`);
    }
    console.log(`Demo.Add {"X":2,"Y":3} = ${await serverAndClient.request("Demo.Add", { X: 2, Y: 3 })}`);
    console.log(`Demo.Later {"X":40,"Y":2} = ${await serverAndClient.request("Demo.Later", { X: 40, Y: 2 })}`);
    console.log(`done ${await finished}`);
    await new Promise((resolve) => setTimeout(resolve, 0)); // done's answer goes out first
    console.log(`the Go end sent ${[...kinds].sort().join(" and ")} messages`);
  } catch (error) {
    console.error(`failed: ${error.message}`);
    process.exitCode = 1;
  }
  webSocket.close();
};

webSocket.onerror = (event) => {
  console.error(`websocket error: ${event.message}`);
  process.exitCode = 1;
};
