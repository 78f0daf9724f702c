package main

import (
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// Positions. LSP counts a Position's Character in code units of the
// position encoding that initialize settles: UTF-16 by default, which is
// what every client supports and what VS Code's own strings are; UTF-8 or
// UTF-32 if the client offers them (LSP 3.17's
// general.positionEncodings) and the server picks one. Go's strings are
// UTF-8, so this server picks UTF-8 whenever it is offered, and otherwise
// converts from UTF-16. Lines end at "\n", "\r\n" or "\r", as LSP says.

// encoding is a position encoding: what a Position's Character counts.
type encoding int

const (
	utf16Units encoding = iota // LSP's default, and its only mandatory one
	utf8Bytes
)

// String is the encoding's LSP name, as positionEncoding carries it.
func (e encoding) String() string {
	if e == utf8Bytes {
		return "utf-8"
	}
	return "utf-16"
}

// negotiate picks the encoding for a client that offers these: UTF-8 if
// it is among them, UTF-16 otherwise (every client supports it, offered
// or not).
func negotiate(offered []string) encoding {
	if slices.Contains(offered, "utf-8") {
		return utf8Bytes
	}
	return utf16Units
}

// runeUnits is how many of e's code units r takes.
func (e encoding) runeUnits(r rune, size int) int {
	if e == utf8Bytes {
		return size
	}
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1 // invalid UTF-8 reads as U+FFFD, one UTF-16 unit
}

// units is the length of s in e's code units.
func (e encoding) units(s string) int {
	if e == utf8Bytes {
		return len(s)
	}
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n += e.runeUnits(r, size)
		i += size
	}
	return n
}

// byteOffset is the byte offset in line of the position character code
// units in. A position past the end of the line is its end, as LSP says;
// one inside a character (between the two halves of a UTF-16 surrogate
// pair, or inside a UTF-8 sequence) is that character's start.
func (e encoding) byteOffset(line string, character int) int {
	n := 0
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		n += e.runeUnits(r, size)
		if n > character {
			return i
		}
		i += size
	}
	return len(line)
}

// lineAt returns the text of the given zero-based line, without its end;
// ok is false past the last line.
func lineAt(text string, line int) (s string, ok bool) {
	if line < 0 {
		return "", false
	}
	for i := 0; ; {
		end, next := lineEnd(text, i)
		if line == 0 {
			return text[i:end], true
		}
		if next < 0 {
			return "", false
		}
		line--
		i = next
	}
}

// lineEnd returns where the line that starts at i ends, and where the next
// one starts, or -1 when this is the last.
func lineEnd(text string, i int) (end, next int) {
	for j := i; j < len(text); j++ {
		switch text[j] {
		case '\n':
			return j, j + 1
		case '\r':
			if j+1 < len(text) && text[j+1] == '\n' {
				return j, j + 2
			}
			return j, j + 1
		}
	}
	return len(text), -1
}
