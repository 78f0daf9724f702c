package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"testing"
	"time"
)

// TestFramedClients calls the server with -codec lsp and -codec
// jsonrpc2-lines from clients of nothing but a TCP connection, as a program
// in any language could write them: LSP's Content-Length frames read with
// net/textproto, and lines. A frame that holds no message is answered with
// a parse error and the next is served; a Wait is cancelled with LSP's
// $/cancelRequest and answered with RequestCancelled (-32800).
func TestFramedClients(t *testing.T) {
	for _, name := range []string{"lsp", "jsonrpc2-lines"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", startServer(t, name).addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(timeout))
			c := &framedClient{lsp: name == "lsp", conn: conn, r: bufio.NewReader(conn)}
			for _, step := range []struct{ send, want string }{
				{`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1}`,
					`{"jsonrpc":"2.0","id":1,"result":56}`},
				{`not a message`,
					`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the frame holds no JSON object or array"}}`},
				{`{"jsonrpc":"2.0","method":"Arith.Divide","params":[{"A":17,"B":5}],"id":"two"}`,
					`{"jsonrpc":"2.0","id":"two","result":{"Quo":3,"Rem":2}}`},
			} {
				c.send(t, step.send)
				if got := c.recv(t); got != step.want {
					t.Errorf("sent %s\n got %s\nwant %s", step.send, got, step.want)
				}
			}
			c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[60000],"id":3}`)
			c.send(t, `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}`)
			if got, want := c.recv(t), `{"jsonrpc":"2.0","id":3,"error":{"code":-32800,"message":"context canceled"}}`; got != want {
				t.Errorf("the cancelled Wait answered %s; want %s", got, want)
			}
		})
	}
}

// framedClient writes and reads JSON-RPC messages in LSP frames or lines.
type framedClient struct {
	lsp  bool
	conn net.Conn
	r    *bufio.Reader
}

func (c *framedClient) send(t *testing.T, msg string) {
	t.Helper()
	frame := msg + "\n"
	if c.lsp {
		frame = fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(msg), msg)
	}
	if _, err := io.WriteString(c.conn, frame); err != nil {
		t.Fatal(err)
	}
}

func (c *framedClient) recv(t *testing.T) string {
	t.Helper()
	var body []byte
	if c.lsp {
		h, err := textproto.NewReader(c.r).ReadMIMEHeader()
		if err != nil {
			t.Fatalf("reading an LSP header: %v", err)
		}
		n, err := strconv.Atoi(h.Get("Content-Length"))
		if err != nil {
			t.Fatalf("LSP header %v", h)
		}
		body = make([]byte, n)
		if _, err := io.ReadFull(c.r, body); err != nil {
			t.Fatal(err)
		}
	} else {
		line, err := c.r.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		body = line[:len(line)-1]
	}
	if !json.Valid(body) {
		t.Fatalf("answer %q is not JSON", body)
	}
	return string(body)
}
