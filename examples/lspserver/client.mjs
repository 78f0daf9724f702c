// Drive the Go language server with vscode-languageserver-protocol, the
// typed LSP layer over vscode-jsonrpc that VS Code's own language clients
// use. It starts the server as an editor does, as a child process talking
// LSP over its standard input and output, and prints one line for each
// thing it checks; lspserver_test.go compares them with what LSP and the
// server promise.
//
//   cd examples/lspserver && npm ci && go build -o lspserver . && node client.mjs ./lspserver
//
// (or: node client.mjs go run .). Two sessions, each a process of its own:
//
//   1. UTF-16 positions, LSP's default: a request before initialize;
//      initialize and initialized; didOpen; hovers around and past
//      non-ASCII text; didChange and at once a hover; workspace/symbol
//      with partial results and without; slow with the token
//      the server asks to create (window/workDoneProgress/create), then
//      with the client's own workDoneToken, each with its $/progress; a
//      slow cancelled through a CancellationToken ($/cancelRequest);
//      didClose; shutdown; a request after it; exit, and the exit status.
//   2. UTF-8 positions, offered by the client; exit without shutdown.
//
// It exits with status 1 if anything fails outright (a promise that
// rejects unexpectedly, a timeout); the lines say whether the answers were
// right.

import { spawn } from "node:child_process";
import { once } from "node:events";
import lsp from "vscode-languageserver-protocol/node";

const {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, CancellationTokenSource, ResponseError,
  InitializeRequest, InitializedNotification, ShutdownRequest, ExitNotification,
  DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, DidCloseTextDocumentNotification,
  HoverRequest, ExecuteCommandRequest, WorkDoneProgress, WorkDoneProgressCreateRequest,
  WorkspaceSymbolRequest,
} = lsp;

// How long anything that should happen promptly may take.
const PROMPT_MS = 5_000;

// The document both sessions open: non-ASCII letters, an emoji of two
// UTF-16 units (four UTF-8 bytes), and each of LSP's three line ends.
const URI = "untitled:greeting.txt";
const TEXT = "héllo 👋 wörld\nsecond line_2\r\nthird\rfourth";
// A second document, for workspace/symbol.
const NOTES_URI = "untitled:notes.txt";

// within resolves as promise does, or rejects once ms have passed; it
// clears its timer either way.
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// start runs the server and connects to it. Its standard error is ours.
function start(command) {
  const child = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  return { child, conn, exited };
}

// failure describes a rejected request: its LSP error code, or what else
// it was.
function failure(e) {
  return e instanceof ResponseError ? `error ${e.code}` : `${e.constructor.name}: ${e.message}`;
}

// hoverLine describes a hover's answer: its markup kind, text and range.
function hoverLine(pos, h) {
  const at = `hover ${pos.line}:${pos.character}`;
  if (h === null) return `${at} null`;
  const r = h.range;
  return `${at} ${h.contents.kind} ${h.contents.value} ${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

// symbolText describes a SymbolInformation: its name, kind, document and
// range.
function symbolText(s) {
  const r = s.location.range;
  const doc = s.location.uri.slice(s.location.uri.indexOf(":") + 1);
  return `${s.name}/${s.kind}@${doc}:${r.start.line}:${r.start.character}-${r.end.character}`;
}

// progressLine describes the $/progress values of one token.
function progressLine(values) {
  return values.map((v) => `${v.kind} ${v.percentage ?? v.message}`).join(", ");
}

async function hover(conn, line, character) {
  const pos = { line, character };
  return hoverLine(pos, await within(conn.sendRequest(HoverRequest.type, { textDocument: { uri: URI }, position: pos }), PROMPT_MS, "hover"));
}

// session starts the server and runs body with it; whatever happens, the
// server does not outlive the session.
async function session(command, body) {
  const server = start(command);
  try {
    await body(server);
  } finally {
    server.conn.dispose();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill();
  }
}

async function session1({ conn, exited }) {

  // The tokens the server asks to create, and the progress of each.
  const created = [];
  const progress = new Map();
  let begun;
  const beginSeen = () => new Promise((resolve) => (begun = resolve));
  const collect = (token) => {
    progress.set(token, []);
    conn.onProgress(WorkDoneProgress.type, token, (v) => {
      progress.get(token).push(v);
      if (v.kind === "begin" && begun) begun(token);
    });
  };
  conn.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    created.push(token);
    collect(token);
    return null;
  });
  conn.listen();

  try {
    await within(conn.sendRequest(HoverRequest.type, { textDocument: { uri: URI }, position: { line: 0, character: 0 } }), PROMPT_MS, "hover");
    console.log("before initialize: textDocument/hover answered");
  } catch (e) {
    console.log(`before initialize: textDocument/hover: ${failure(e)}`);
  }

  const init = await within(conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: "client.mjs" },
    rootUri: null,
    capabilities: { window: { workDoneProgress: true } },
  }), PROMPT_MS, "initialize");
  const caps = init.capabilities;
  console.log(`initialize: positionEncoding ${caps.positionEncoding}, hoverProvider ${caps.hoverProvider}, workspaceSymbolProvider ${caps.workspaceSymbolProvider}, ` +
    `executeCommandProvider ${JSON.stringify(caps.executeCommandProvider)}, textDocumentSync ${JSON.stringify(caps.textDocumentSync)}`);
  await conn.sendNotification(InitializedNotification.type, {});

  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: URI, languageId: "plaintext", version: 1, text: TEXT },
  });
  for (const [line, character] of [[0, 1], [0, 5], [0, 7], [0, 8], [0, 9], [0, 14], [0, 99], [1, 8], [2, 0], [3, 6], [4, 0]]) {
    console.log(await hover(conn, line, character));
  }

  // The hover goes out right behind the change: the server must see it.
  await conn.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: URI, version: 2 },
    contentChanges: [{ text: "héllo 👋 wörld, again" }],
  });
  console.log(`didChange, then ${await hover(conn, 0, 16)}`);

  // workspace/symbol with a partialResultToken: each line's symbols come
  // as a partial result before the answer, which is then empty; without
  // one, the answer holds them all.
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: NOTES_URI, languageId: "plaintext", version: 1, text: "alpha beta\nalphabet soup\ngamma" },
  });
  const partials = [];
  conn.onProgress(WorkspaceSymbolRequest.partialResult, "symbols", (v) => partials.push(v));
  const symbols = await within(conn.sendRequest(WorkspaceSymbolRequest.type, { query: "ALPH", partialResultToken: "symbols" }), PROMPT_MS, "workspace/symbol");
  console.log(`workspace/symbol ALPH, partial results: ${partials.map((p) => p.map(symbolText).join(" ")).join(" | ")}; answer ${JSON.stringify(symbols)}`);
  const whole = await within(conn.sendRequest(WorkspaceSymbolRequest.type, { query: "l" }), PROMPT_MS, "workspace/symbol");
  console.log(`workspace/symbol l, no token: ${whole.map(symbolText).join(" ")}`);

  // slow, with the token the server makes.
  let result = await within(conn.sendRequest(ExecuteCommandRequest.type, { command: "slow", arguments: [{ ms: 200 }] }), PROMPT_MS, "slow");
  let token = created[0];
  console.log(`slow 200, the server's token: ${created.length} created; $/progress before the answer: ` +
    `${progressLine(progress.get(token) ?? [])}; result ${JSON.stringify(result)}`);

  // slow, with the client's token: the server must not make one.
  collect("client-token");
  result = await within(conn.sendRequest(ExecuteCommandRequest.type, { command: "slow", arguments: [{ ms: 200 }], workDoneToken: "client-token" }), PROMPT_MS, "slow");
  console.log(`slow 200, the client's workDoneToken: ${created.length - 1} more created; $/progress before the answer: ` +
    `${progressLine(progress.get("client-token"))}; result ${JSON.stringify(result)}`);

  // slow for a minute, cancelled once it has begun.
  const source = new CancellationTokenSource();
  const began = beginSeen();
  const slow = conn.sendRequest(ExecuteCommandRequest.type, { command: "slow", arguments: [{ ms: 60_000 }] }, source.token);
  slow.catch(() => {}); // awaited below; not unhandled meanwhile
  token = await within(began, PROMPT_MS, "the minute-long slow's begin");
  source.cancel();
  try {
    result = await within(slow, PROMPT_MS, "the cancelled slow");
    console.log(`slow 60000, cancelled: answered ${JSON.stringify(result)}`);
  } catch (e) {
    console.log(`slow 60000, cancelled after its begin: ${failure(e)}; $/progress before the answer: ${progressLine(progress.get(token))}`);
  }

  // Bad arguments, and a command the server lacks.
  for (const params of [{ command: "slow", arguments: [] }, { command: "nope", arguments: [] }]) {
    try {
      await within(conn.sendRequest(ExecuteCommandRequest.type, params), PROMPT_MS, params.command);
      console.log(`${params.command} ${JSON.stringify(params.arguments)}: answered`);
    } catch (e) {
      console.log(`${params.command} ${JSON.stringify(params.arguments)}: ${failure(e)}`);
    }
  }

  await conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: URI } });
  try {
    console.log(`didClose, then ${await hover(conn, 0, 1)}`);
  } catch (e) {
    console.log(`didClose, then hover: ${failure(e)}`);
  }

  result = await within(conn.sendRequest(ShutdownRequest.type), PROMPT_MS, "shutdown");
  console.log(`shutdown: ${JSON.stringify(result)}`);
  try {
    await hover(conn, 0, 1);
    console.log("after shutdown: textDocument/hover answered");
  } catch (e) {
    console.log(`after shutdown: textDocument/hover: ${failure(e)}`);
  }
  await conn.sendNotification(ExitNotification.type);
  console.log(`exit after shutdown: status ${await within(exited, PROMPT_MS, "the server's exit")}`);
}

async function session2({ conn, exited }) {
  conn.listen();
  const init = await within(conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { general: { positionEncodings: ["utf-16", "utf-8"] } },
  }), PROMPT_MS, "initialize");
  console.log(`initialize offering utf-16 and utf-8: positionEncoding ${init.capabilities.positionEncoding}`);
  await conn.sendNotification(InitializedNotification.type, {});
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: URI, languageId: "plaintext", version: 1, text: TEXT },
  });
  for (const [line, character] of [[0, 9], [0, 12]]) {
    console.log(await hover(conn, line, character));
  }
  await conn.sendNotification(ExitNotification.type);
  console.log(`exit without shutdown: status ${await within(exited, PROMPT_MS, "the server's exit")}`);
}

async function main() {
  const command = process.argv.slice(2);
  if (command.length === 0) {
    console.error("usage: node client.mjs server-command [args...]");
    return 2;
  }
  await session(command, session1);
  await session(command, session2);
  return 0;
}

process.exitCode = await main().catch((e) => {
  console.error(e);
  return 1;
});
