package cluster

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// fourResult is a fan-out result as masters and clients wrote it before
// the code: an array of four.
type fourResult struct {
	_msgpack struct{} `msgpack:",as_array"`
	Name     string
	Status   string
	Error    string
	Body     []byte
}

// A result without a code is the same bytes as before it had one, and
// reads both ways; one with a code keeps it.
func TestFanResultWire(t *testing.T) {
	plain := []fanResult{{Name: "a", Status: statusRemote, Error: "e", Body: []byte{1}}, {Name: "b", Body: []byte("x")}}
	four := []fourResult{{Name: "a", Status: statusRemote, Error: "e", Body: []byte{1}}, {Name: "b", Body: []byte("x")}}
	got, err := msgpack.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := msgpack.Marshal(four)
	if !bytes.Equal(got, want) {
		t.Errorf("without a code: % x, want the four elements % x", got, want)
	}
	var back []fanResult
	if err := msgpack.Unmarshal(want, &back); err != nil || !reflect.DeepEqual(back, plain) {
		t.Errorf("reading four elements: %+v, %v; want %+v", back, err, plain)
	}

	coded := []fanResult{{Name: "a", Status: statusRemote, Error: "e", Body: []byte{1}, Code: -32601}}
	b, err := msgpack.Marshal(coded)
	if err != nil {
		t.Fatal(err)
	}
	back = nil
	if err := msgpack.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, coded) {
		t.Errorf("with a code: read %+v, %v; want %+v", back, err, coded)
	}
	if err := msgpack.Unmarshal([]byte{0x91, 0x93, 0xa1, 'a', 0xa0, 0xa0}, &back); err == nil {
		t.Error("a result of three elements was read")
	}
}
