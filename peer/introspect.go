package peer

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
)

// IntrospectionMethod is the method that [Registry.RegisterIntrospection]
// serves. Its argument is a string, a prefix of the names to list; with no
// params, or "", it lists every method. It answers a []MethodDescription.
const IntrospectionMethod = "duplex.Methods"

// MethodDescription describes a method to a remote caller, as
// IntrospectionMethod sends it. Args and Reply give the shape of the values
// on the wire, written like JSON with types for values, for callers in any
// language:
//
//	{"A": int, "B": int}      a struct, by the field names the JSON and msgpack codecs use
//	[string]                  a slice or array
//	{string: float64}         a map
//	bytes, any, time.Time     a []byte, an interface, a type that encodes itself
//
// ArgsType and ReplyType are the Go types, for Go callers.
type MethodDescription struct {
	Name      string `json:"name"`      // "Service.Method"
	Args      string `json:"args"`      // the shape of the argument
	Reply     string `json:"reply"`     // the shape of the reply; null for a method without one; "stream of …" for a stream
	ArgsType  string `json:"argsType"`  // the argument's Go type, as declared
	ReplyType string `json:"replyType"` // the reply's Go type, a pointer; "" for a method without one
}

// RegisterIntrospection serves IntrospectionMethod on r, as the service
// "duplex": it lists the methods r serves, itself included, with their
// argument and reply shapes, so that a caller without the Go types (the
// duplex command's list) can learn what to send.
//
// It is off unless a program calls this: a list of methods and their
// arguments is a map for an attacker too, so serve it only to callers
// who may see it (an Interceptor can refuse it to the others).
func (r *Registry) RegisterIntrospection() error {
	return r.RegisterName("duplex", &introspection{r})
}

// introspection is the service RegisterIntrospection registers.
type introspection struct{ r *Registry }

// MethodPrefix is the argument of IntrospectionMethod: a prefix of the
// method names to list. A request without params lists them all.
type MethodPrefix string

// OptionalParams says that a request without params is a whole one.
func (MethodPrefix) OptionalParams() {}

// Methods answers the methods of the registry whose names begin with
// prefix, sorted by name.
func (x *introspection) Methods(prefix MethodPrefix, reply *[]MethodDescription) error {
	methods := x.r.Methods()
	list := make([]MethodDescription, 0, len(methods))
	for _, m := range methods {
		if !strings.HasPrefix(m.Name, string(prefix)) {
			continue
		}
		d := MethodDescription{Name: m.Name, Args: shape(m.Args), ArgsType: m.Args.String(), Reply: "null"}
		switch {
		case m.Stream != nil:
			d.Reply, d.ReplyType = "stream of "+shape(m.Stream), m.Reply.String()
		case m.Reply != nil:
			d.Reply, d.ReplyType = shape(m.Reply), m.Reply.String()
		}
		list = append(list, d)
	}
	*reply = list
	return nil
}

// shape writes the shape of the values of type t on the wire, as
// MethodDescription describes it. Pointers are followed; a type met again
// inside itself is written by name.
func shape(t reflect.Type) string {
	var b strings.Builder
	writeShape(&b, t, map[reflect.Type]bool{})
	return b.String()
}

var (
	typeOfJSONMarshaler = reflect.TypeFor[json.Marshaler]()
	typeOfTextMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func writeShape(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool) {
	if t == nil {
		b.WriteString("any")
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() != "" && t.Kind() != reflect.Interface &&
		(t.Implements(typeOfJSONMarshaler) || reflect.PointerTo(t).Implements(typeOfJSONMarshaler) ||
			t.Implements(typeOfTextMarshaler) || reflect.PointerTo(t).Implements(typeOfTextMarshaler)) {
		b.WriteString(t.String()) // it says itself how it encodes: time.Time, big.Int
		return
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			b.WriteString("bytes")
			return
		}
		b.WriteByte('[')
		writeShape(b, t.Elem(), seen)
		b.WriteByte(']')
	case reflect.Map:
		b.WriteByte('{')
		writeShape(b, t.Key(), seen)
		b.WriteString(": ")
		writeShape(b, t.Elem(), seen)
		b.WriteByte('}')
	case reflect.Struct:
		if seen[t] {
			b.WriteString(t.String())
			return
		}
		seen[t] = true
		b.WriteByte('{')
		writeFields(b, t, seen, true)
		b.WriteByte('}')
		delete(seen, t)
	case reflect.Interface:
		b.WriteString("any")
	default: // bool, numbers, string: by kind, so a named int is an int
		b.WriteString(t.Kind().String())
	}
}

// writeFields writes the fields of struct t as "name": shape, by the name
// a json tag gives, and the fields of an untagged embedded struct as its
// own, as encoding/json does. It reports whether it wrote none yet.
func writeFields(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool, first bool) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && !seen[ft] {
			seen[ft] = true
			first = writeFields(b, ft, seen, first)
			delete(seen, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		nameJSON, _ := json.Marshal(name)
		b.Write(nameJSON)
		b.WriteString(": ")
		writeShape(b, f.Type, seen)
	}
	return first
}
