package codec

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// By-name params, checked. A JSON object or a msgpack map of params fills
// a struct argument by its fields' names. The decoders would drop a key no
// field takes, and leave a field whose value does not fit with a message
// that names neither; a caller who misspelled a field would get zero
// values and a wrong answer. So, unless the connection is lenient
// (Options.LenientParams, or the dialect's), a key no field takes fails
// the call with an error that names it, and so does a value that does not
// fit its field, and a request without params for an argument that needs
// them. Names match as encoding/json matches them: the json tag's name, or
// the Go name, exactly, or else without regard to case.

// OptionalParams is implemented by an argument type whose zero value is a
// whole request, so that a request without params (absent, null, or an
// empty list) is served with it rather than refused:
//
//	type ListParams struct{ Cursor string }
//	func (ListParams) OptionalParams() {}
//
// Interfaces, slices, maps, arrays and empty structs need no marker: a
// request without params has nothing they would miss.
type OptionalParams interface{ OptionalParams() }

var optionalParamsType = reflect.TypeFor[OptionalParams]()

// paramField is one field of a struct argument, as by-name params name it.
type paramField struct {
	name  string // the key: the json tag's name, or the Go name
	index []int
	typ   reflect.Type
}

var paramFieldCache sync.Map // reflect.Type → []paramField

// paramFields returns the fields of struct type t that by-name params
// fill, as encoding/json finds them: exported, not tagged "-", named by
// their tag, with the fields of an untagged embedded struct promoted.
func paramFields(t reflect.Type) []paramField {
	if f, ok := paramFieldCache.Load(t); ok {
		return f.([]paramField)
	}
	var fields []paramField
	var walk func(t reflect.Type, index []int, depth int)
	walk = func(t reflect.Type, index []int, depth int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			at := append(append([]int(nil), index...), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && depth < 8 {
				walk(ft, at, depth+1)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields = append(fields, paramField{name: name, index: at, typ: f.Type})
		}
	}
	walk(t, nil, 0)
	paramFieldCache.Store(t, fields)
	return fields
}

// fieldFor returns the field that takes key, exactly or else without
// regard to case, or nil.
func fieldFor(fields []paramField, key []byte) *paramField {
	for i := range fields {
		if fields[i].name == string(key) {
			return &fields[i]
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, string(key)) {
			return &fields[i]
		}
	}
	return nil
}

// structTarget returns the struct type that by-name params decode into
// for the argument v, or nil when v is no pointer to a struct.
func structTarget(v any) reflect.Type {
	t := targetType(v)
	if t == nil || t.Kind() != reflect.Struct || t.NumField() == 0 {
		return nil
	}
	return t
}

// typeName names t for a caller: Args, not main.Args.
func typeName(t reflect.Type) string {
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

// fieldList lists the keys fields take, for an error.
func fieldList(fields []paramField) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// unknownField is the error of a key no field takes. A key that LSP's
// clients add to every request they can (VS Code's workDoneToken) says
// how to serve them: the server was not told it speaks LSP.
func unknownField(t reflect.Type, key []byte) error {
	hint := ""
	switch string(key) {
	case LSPDialect.RequestToken, LSPDialect.StreamToken:
		hint = " (a member LSP's clients add: serve them with Options.Dialect = codec.LSPDialect, or set Options.LenientParams)"
	}
	return fmt.Errorf("%w: param 1 (%s): unknown field %q; it has %s%s", ErrInvalidParams, typeName(t), key, fieldList(paramFields(t)), hint)
}

// fieldMismatch is the error of a value that does not fit its field.
func fieldMismatch(t reflect.Type, f *paramField, got string) error {
	return fmt.Errorf("%w: param 1 (%s): field %s: want %s, got %s", ErrInvalidParams, typeName(t), f.name, f.typ, got)
}

// needsParams reports the error of a request without params for the
// argument v, or nil when its zero value will do.
func needsParams(v any) error {
	t := targetType(v)
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Interface, reflect.Slice, reflect.Map, reflect.Array:
		return nil
	case reflect.Struct:
		if t.NumField() == 0 {
			return nil
		}
	}
	if t.Implements(optionalParamsType) || reflect.PointerTo(t).Implements(optionalParamsType) {
		return nil
	}
	return fmt.Errorf("%w: missing params: want %s", ErrInvalidParams, typeName(t))
}

// describeJSON renders a JSON value for an error: string "7", number 7, an
// object, true.
func describeJSON(v []byte) string {
	switch what := jsonWhat(v); what {
	case "a string", "a number", "a boolean":
		kind := strings.TrimPrefix(what, "a ")
		return kind + " " + clip(string(v))
	case "null":
		return "null"
	default:
		return what
	}
}

// clip cuts a value's text for an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
