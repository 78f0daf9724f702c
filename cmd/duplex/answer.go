package main

import (
	"context"
	"encoding/json"
	"fmt"
)

// How a worker, or a master, answers the calls it gets: echo each one, or
// run -exec's command; and print a line for each.

// echo answers every call with its own argument: the single param, or the
// params array when there are several. So a Go caller's
// Echo.Echo("hi") gets back "hi".
func echo(context.Context, string, json.RawMessage) (answer, error) {
	return answer{echo: true}, nil
}

// logged prints a line with line for each call h answers, after who(ctx):
//
//	worker: Echo.Echo "hi" -> "hi"
//	worker: Jobs.Run {"n":1} -> error: exit status 1: boom
func logged(line func(format string, args ...any), who func(context.Context) string, h handler) handler {
	return func(ctx context.Context, method string, arg json.RawMessage) (answer, error) {
		a, err := h(ctx, method, arg)
		switch {
		case err != nil:
			line("%s%s %s -> error: %v", who(ctx), method, brief(arg), err)
		case a.echo:
			line("%s%s %s -> %s", who(ctx), method, brief(arg), brief(arg))
		default:
			line("%s%s %s -> %s", who(ctx), method, brief(arg), brief(a.value))
		}
		return a, err
	}
}

// maxLogged is the most of a value a log line shows.
const maxLogged = 1 << 10

// brief is a JSON value for a log line: whole, or cut short with its size.
func brief(text json.RawMessage) string {
	if len(text) <= maxLogged {
		return string(text)
	}
	return fmt.Sprintf("%s… (%d bytes)", text[:maxLogged], len(text))
}
