// sdk_client.mjs drives the Go MCP server of this directory with the
// official TypeScript SDK's Client over its StdioClientTransport, which
// starts the server as a child process:
//
//	node sdk_client.mjs SERVER_BINARY [ARGS...]
//
// It prints one line per thing it checked, which mcp_test.go compares, and
// copies the server's standard error to its own, where the test reads the
// server's log and its -trace of every message. It exits non-zero on the
// first thing that is not as it should be.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ListRootsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node sdk_client.mjs SERVER_BINARY [ARGS...]');
  process.exit(2);
}

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// The roots this client offers, and what its "model" answers.
const clientRoots = [
  { uri: 'file:///projects/alpha', name: 'alpha' },
  { uri: 'file:///projects/beta' },
];

const client = new Client(
  { name: 'duplex-mcp-sdk-test', version: '1.0.0' },
  { capabilities: { sampling: {}, roots: { listChanged: true } } },
);

// sampling/createMessage: the server's ask tool calls this back while its
// tools/call is pending. The SDK has already checked the request against
// its schema (maxTokens is required) before this runs.
const sampled = [];
client.setRequestHandler(CreateMessageRequestSchema, (request) => {
  const { messages, maxTokens } = request.params;
  sampled.push({ messages, maxTokens });
  const prompt = messages.map((m) => `${m.role}: ${m.content.text}`).join(' | ');
  return {
    role: 'assistant',
    content: { type: 'text', text: `the model read "${prompt}"` },
    model: 'stub-model',
    stopReason: 'endTurn',
  };
});

// roots/list: the server's roots tool calls this back.
client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: clientRoots }));

// The server's standard error, copied through, and watched line by line
// for the server's log of a cancelled long.
const transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
const stderrLines = [];
const stderrWaiters = [];
let stderrPartial = '';
transport.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  const lines = (stderrPartial + chunk.toString('utf8')).split('\n');
  stderrPartial = lines.pop();
  for (const line of lines) {
    stderrLines.push(line);
    for (const w of [...stderrWaiters]) {
      const m = line.match(w.re);
      if (m) {
        stderrWaiters.splice(stderrWaiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  }
});

// stderrLine resolves with the match of the first line of the server's
// standard error, past or to come, that matches re, or rejects after ms.
function stderrLine(re, ms) {
  for (const line of stderrLines) {
    const m = line.match(re);
    if (m) return Promise.resolve(m);
  }
  return new Promise((resolve, reject) => {
    const w = { re, resolve };
    w.timer = setTimeout(() => {
      stderrWaiters.splice(stderrWaiters.indexOf(w), 1);
      reject(new Error(`no line of the server's stderr matched ${re} within ${ms}ms`));
    }, ms);
    stderrWaiters.push(w);
  });
}

const text = (result) => result.content.map((c) => c.text).join('');

await client.connect(transport);
const info = client.getServerVersion();
const caps = client.getServerCapabilities();
console.log(`initialize: ${info.name} ${info.version}, tools capability: ${caps.tools !== undefined}`);

// tools/list, with each tool's required arguments.
const { tools } = await client.listTools();
console.log(`tools/list: ${tools.map((t) => `${t.name}(${(t.inputSchema.required ?? []).join(',')})`).join(' ')}`);

// echo and add.
console.log(`echo: ${text(await client.callTool({ name: 'echo', arguments: { text: 'hello, duplex' } }))}`);
console.log(`add 2 40: ${text(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } }))}`);
console.log(`add 0.5 0.25: ${text(await client.callTool({ name: 'add', arguments: { a: 0.5, b: 0.25 } }))}`);
const bad = await client.callTool({ name: 'add', arguments: { a: 'two', b: 40 } });
console.log(`add "two" 40: isError ${bad.isError}: ${text(bad)}`);

// long with progress. The SDK can drop the last notification when it comes
// in the same read as the answer (its issue #2580): what the server wrote
// is checked in mcp_test.go from the server's trace. Here: every one that
// arrived came in order, with the right total, and no more than 5.
const steps = 5;
const progress = [];
const done = await client.callTool(
  { name: 'long', arguments: { steps, ms: 20 } },
  undefined,
  { onprogress: (p) => progress.push(p) },
);
progress.forEach((p, i) => {
  check(p.progress === i + 1 && p.total === steps && p.message === `step ${i + 1} of ${steps}`, `progress ${i}: ${JSON.stringify(p)}`);
});
check(progress.length <= steps, `${progress.length} progress notifications for ${steps} steps`);
console.log(`long ${steps}: ${text(done)}, progress ${progress.map((p) => `${p.progress}/${p.total}`).join(' ')}`);

// long, cancelled through an AbortSignal after its second progress. The SDK
// rejects the call at once, whatever the server does, and sends
// notifications/cancelled; that the server stopped is shown by its log,
// which comes within a second of the abort, where the call would
// otherwise have gone on for 4.8 more seconds.
const abort = new AbortController();
let seen = 0;
const cancelled = client.callTool(
  { name: 'long', arguments: { steps: 50, ms: 100 } },
  undefined,
  {
    signal: abort.signal,
    onprogress: () => {
      if (++seen === 2) abort.abort('the user gave up');
    },
  },
);
try {
  await cancelled;
  throw new Error('the cancelled long call resolved');
} catch (err) {
  check(abort.signal.aborted, `long failed before it was aborted: ${err}`);
  console.log(`long 50 aborted after ${seen} progress: the SDK rejected it: ${err.message}`);
}
const [, stoppedAt] = await stderrLine(/^mcp: long: cancelled after (\d+) of 50 steps$/, 1000);
console.log(`long 50 aborted: the server stopped after ${stoppedAt} of 50 steps`);

// ask: the server calls sampling/createMessage back during the tool call.
const asked = await client.callTool({ name: 'ask', arguments: { prompt: 'What is 6 times 7?' } });
check(sampled.length === 1, `${sampled.length} sampling requests`);
const [req] = sampled;
check(req.messages.length === 1 && req.messages[0].role === 'user', `sampling messages ${JSON.stringify(req.messages)}`);
console.log(`ask: ${text(asked)} (sampling/createMessage with maxTokens ${req.maxTokens})`);

// roots: the server calls roots/list back.
const listed = await client.callTool({ name: 'roots', arguments: {} });
console.log(`roots: ${text(listed).split('\n').join(' ')}`);

// An unknown tool is a JSON-RPC error, which the SDK rejects with as an
// McpError carrying the code.
try {
  await client.callTool({ name: 'nope', arguments: {} });
  throw new Error('the unknown tool succeeded');
} catch (err) {
  check(err instanceof McpError, `the unknown tool failed with ${err}`);
  console.log(`nope: McpError code ${err.code}: ${err.message}`);
}

await client.close();
