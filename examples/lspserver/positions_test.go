package main

import "testing"

// The conversions between LSP positions and Go's byte offsets, for each
// encoding, on text whose characters take 1 to 4 bytes and 1 or 2 UTF-16
// units.
func TestByteOffsetAndUnits(t *testing.T) {
	const line = "aé€👋z" // bytes 1, 2, 3, 4, 1; UTF-16 units 1, 1, 1, 2, 1
	tests := []struct {
		enc       encoding
		character int
		offset    int
	}{
		{utf16Units, 0, 0},
		{utf16Units, 1, 1},  // é
		{utf16Units, 2, 3},  // €
		{utf16Units, 3, 6},  // 👋
		{utf16Units, 4, 6},  // between 👋's surrogates: its start
		{utf16Units, 5, 10}, // z
		{utf16Units, 6, 11}, // the end
		{utf16Units, 60, 11},
		{utf8Bytes, 0, 0},
		{utf8Bytes, 2, 1}, // inside é: its start
		{utf8Bytes, 3, 3},
		{utf8Bytes, 8, 6}, // inside 👋
		{utf8Bytes, 10, 10},
		{utf8Bytes, 12, 11},
	}
	for _, tt := range tests {
		if got := tt.enc.byteOffset(line, tt.character); got != tt.offset {
			t.Errorf("%v: byteOffset(%q, %d) = %d; want %d", tt.enc, line, tt.character, got, tt.offset)
		}
	}
	for enc, want := range map[encoding]int{utf16Units: 6, utf8Bytes: 11} {
		if got := enc.units(line); got != want {
			t.Errorf("%v: units(%q) = %d; want %d", enc, line, got, want)
		}
	}
	if got := utf16Units.units("a\xffb"); got != 3 {
		t.Errorf("utf-16: units of invalid UTF-8 = %d; want 3 (the bad byte is one U+FFFD)", got)
	}
}

func TestNegotiate(t *testing.T) {
	for _, tt := range []struct {
		offered []string
		want    encoding
	}{
		{nil, utf16Units},
		{[]string{"utf-16"}, utf16Units},
		{[]string{"utf-32"}, utf16Units}, // not ours: UTF-16, which every client has
		{[]string{"utf-16", "utf-8"}, utf8Bytes},
		{[]string{"utf-8"}, utf8Bytes},
	} {
		if got := negotiate(tt.offered); got != tt.want {
			t.Errorf("negotiate(%q) = %v; want %v", tt.offered, got, tt.want)
		}
	}
}

func TestLineAt(t *testing.T) {
	const text = "one\ntwo\r\nthree\rfour\n"
	for i, want := range []string{"one", "two", "three", "four", ""} {
		got, ok := lineAt(text, i)
		if !ok || got != want {
			t.Errorf("lineAt(%q, %d) = %q, %v; want %q, true", text, i, got, ok, want)
		}
	}
	for _, i := range []int{-1, 5} {
		if got, ok := lineAt(text, i); ok {
			t.Errorf("lineAt(%q, %d) = %q, true; want no line", text, i, got)
		}
	}
}
