// A msgpack-rpc peer in the browser. One WebSocket carries calls both ways;
// each binary message is one msgpack array:
//
//   [0, msgid, method, params]   a request
//   [1, msgid, error, result]    its response (error null on success)
//   [2, method, params]          a notification: no response
//
// MessagePack is the @msgpack/msgpack library, loaded before this script.
const { encode, decode } = MessagePack;

// The methods Go may call on this page, each with positional parameters.
const methods = {
  "Page.Add": (a, b) => {
    show("added", `${a} + ${b} = ${a + b}`);
    return a + b;
  },
};

const url = new URL("rpc", location.href);
url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
const ws = new WebSocket(url);
ws.binaryType = "arraybuffer";

const pending = new Map(); // msgid → the waiting call's {resolve, reject}
let lastID = 0;

// call calls a Go method and resolves to its result.
function call(method, ...params) {
  const id = ++lastID;
  ws.send(encode([0, id, method, params]));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

// serve runs a method Go called and returns the [error, result] to answer.
async function serve(method, params) {
  const fn = methods[method];
  if (!fn) return [`no method ${method} in this page`, null];
  try {
    return [null, await fn(...params)];
  } catch (e) {
    return [String(e), null];
  }
}

ws.onmessage = async (event) => {
  const msg = decode(new Uint8Array(event.data));
  if (msg[0] === 0) {
    const [, id, method, params] = msg;
    const [error, result] = await serve(method, params);
    ws.send(encode([1, id, error, result]));
  } else if (msg[0] === 1) {
    const [, id, error, result] = msg;
    const p = pending.get(id);
    pending.delete(id);
    if (error === null) p?.resolve(result);
    else p?.reject(new Error(String(error)));
  } else if (msg[0] === 2) {
    serve(msg[1], msg[2]);
  }
};

ws.onopen = async () => {
  show("status", "connected");
  show("greeting", await call("Greeter.Hello", "browser"));
};
ws.onclose = () => show("status", "disconnected");

function show(id, text) {
  document.getElementById(id).textContent = text;
}
