package otelpeer

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// The keys LogHandler adds.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// LogHandler returns a handler that passes every record to h with the
// trace and span ids of the record's context, when it carries a valid
// span: "trace_id" and "span_id", in hex as W3C trace context writes
// them, so that a log line finds its trace. Give it to a peer as
// peer.Options.Logger = slog.New(otelpeer.LogHandler(h)); and log from a
// handler with slog.InfoContext(ctx, …), whose ctx carries the server
// span.
//
// The engine logs most of its lines without a context, so only those it
// logs with one (docs/tracing.md lists them) get ids. Added to a logger
// with groups (WithGroup), the ids are in the innermost group, as any
// attribute of the record is.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ next slog.Handler }

func (l logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.next.Enabled(ctx, level)
}

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone() // the record may be shared with other handlers
		r.AddAttrs(slog.String(TraceIDKey, sc.TraceID().String()), slog.String(SpanIDKey, sc.SpanID().String()))
	}
	return l.next.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.next.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.next.WithGroup(name)}
}
