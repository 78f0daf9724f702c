package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// grpcImpl is google.golang.org/grpc unary calls over HTTP/2, with the
// values encoded as protobuf messages by hand-written code (what protoc
// would generate, without protoc): Args{1: A, 2: B}, Int{1: value} and
// Record{1: ID, 2: Name, 3: Tags, 4: packed Values, 5: Data}.
func grpcImpl() Impl {
	return Impl{Name: "grpc", Connect: connectGRPC}
}

// The gRPC methods for MethodMultiply and MethodRecord.
const (
	grpcMultiply = "/Bench/Multiply"
	grpcRecord   = "/Bench/Record"
)

var grpcService = grpc.ServiceDesc{
	ServiceName: "Bench",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Multiply", Handler: grpcHandler(grpcMultiply, func(a *Args) (*int, error) {
			reply := new(int)
			return reply, new(Arith).Multiply(a, reply)
		})},
		{MethodName: "Record", Handler: grpcHandler(grpcRecord, func(r *Record) (*Record, error) {
			reply := new(Record)
			return reply, new(Echo).Record(r, reply)
		})},
	},
}

// grpcHandler adapts a typed method to the handler gRPC's generated code
// would write for it.
func grpcHandler[A, R any](full string, fn func(*A) (*R, error)) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, intercept grpc.UnaryServerInterceptor) (any, error) {
		in := new(A)
		if err := dec(in); err != nil {
			return nil, err
		}
		if intercept == nil {
			return fn(in)
		}
		info := &grpc.UnaryServerInfo{FullMethod: full}
		return intercept(ctx, in, info, func(_ context.Context, req any) (any, error) { return fn(req.(*A)) })
	}
}

func connectGRPC(dialed, accepted net.Conn) (*Stack, error) {
	srv := grpc.NewServer(grpc.ForceServerCodecV2(protoCodec{}))
	srv.RegisterService(&grpcService, struct{}{})
	ln := newOneConnListener(accepted)
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	var dialedOnce atomic.Bool
	cc, err := grpc.NewClient("passthrough:///bench",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			if dialedOnce.Swap(true) {
				return nil, errors.New("benchmarks: the one connection is gone")
			}
			return dialed, nil
		}),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(protoCodec{})),
	)
	if err != nil {
		srv.Stop()
		<-served
		dialed.Close()
		return nil, err
	}
	return &Stack{
		Forward: grpcCaller{cc},
		Close: func() error {
			err := cc.Close()
			srv.Stop()
			<-served
			return err
		},
	}, nil
}

type grpcCaller struct{ cc *grpc.ClientConn }

func (c grpcCaller) Call(method string, args, reply any) error {
	full := grpcMultiply
	if method == MethodRecord {
		full = grpcRecord
	}
	return c.cc.Invoke(context.Background(), full, args, reply)
}

// protoCodec encodes *Args, *int and *Record as protobuf messages.
type protoCodec struct{}

func (protoCodec) Name() string { return "benchproto" }

func (protoCodec) Marshal(v any) (mem.BufferSlice, error) {
	var b []byte
	switch v := v.(type) {
	case *Args:
		b = make([]byte, 0, 2*(1+protowire.SizeVarint(math.MaxUint64)))
		b = appendInt(b, 1, int64(v.A))
		b = appendInt(b, 2, int64(v.B))
	case *int:
		b = appendInt(make([]byte, 0, 1+protowire.SizeVarint(math.MaxUint64)), 1, int64(*v))
	case *Record:
		b = appendRecord(make([]byte, 0, recordSize(v)), v)
	default:
		return nil, fmt.Errorf("benchproto: cannot encode %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func appendInt(b []byte, field protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func recordSize(r *Record) int {
	n := 1 + protowire.SizeVarint(uint64(r.ID))
	n += 1 + protowire.SizeBytes(len(r.Name))
	for _, t := range r.Tags {
		n += 1 + protowire.SizeBytes(len(t))
	}
	n += 1 + protowire.SizeBytes(8*len(r.Values))
	return n + 1 + protowire.SizeBytes(len(r.Data))
}

func appendRecord(b []byte, r *Record) []byte {
	b = appendInt(b, 1, r.ID)
	if r.Name != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, r.Name)
	}
	for _, t := range r.Tags {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, t)
	}
	if len(r.Values) > 0 {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(8*len(r.Values)))
		for _, f := range r.Values {
			b = protowire.AppendFixed64(b, math.Float64bits(f))
		}
	}
	if len(r.Data) > 0 {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendBytes(b, r.Data)
	}
	return b
}

func (protoCodec) Unmarshal(data mem.BufferSlice, v any) error {
	var b []byte
	if len(data) == 1 {
		b = data[0].ReadOnlyData() // valid until we return: everything is copied out
	} else {
		b = data.Materialize()
	}
	return unmarshalProto(b, v)
}

var errProto = errors.New("benchproto: malformed message")

func unmarshalProto(b []byte, v any) error {
	for len(b) > 0 {
		field, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errProto
		}
		b = b[n:]
		var (
			x   uint64
			raw []byte
		)
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			raw, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(field, typ, b)
		}
		if n < 0 {
			return errProto
		}
		b = b[n:]
		switch v := v.(type) {
		case *Args:
			switch field {
			case 1:
				v.A = int(x)
			case 2:
				v.B = int(x)
			}
		case *int:
			if field == 1 {
				*v = int(x)
			}
		case *Record:
			switch field {
			case 1:
				v.ID = int64(x)
			case 2:
				v.Name = string(raw)
			case 3:
				v.Tags = append(v.Tags, string(raw))
			case 4:
				if len(raw)%8 != 0 {
					return errProto
				}
				vals := make([]float64, 0, len(v.Values)+len(raw)/8)
				vals = append(vals, v.Values...)
				for ; len(raw) > 0; raw = raw[8:] {
					f, _ := protowire.ConsumeFixed64(raw)
					vals = append(vals, math.Float64frombits(f))
				}
				v.Values = vals
			case 5:
				v.Data = append([]byte(nil), raw...)
			}
		default:
			return fmt.Errorf("benchproto: cannot decode into %T", v)
		}
	}
	return nil
}
