package rpctest

import (
	"errors"
	"strings"
)

// Args, Quotient and Arith are the service of net/rpc's package doc.
type Args struct{ A, B int }

// Quotient is the reply of Arith.Divide.
type Quotient struct{ Quo, Rem int }

// Arith multiplies and divides.
type Arith int

// ErrDivideByZero is what Arith.Divide returns for B == 0.
var ErrDivideByZero = errors.New("divide by zero")

// Multiply sets reply to A*B.
func (*Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide sets quo to A/B and A%B.
func (*Arith) Divide(args *Args, quo *Quotient) error {
	if args.B == 0 {
		return ErrDivideByZero
	}
	quo.Quo, quo.Rem = args.A/args.B, args.A%args.B
	return nil
}

// Inner and Nested are a nested value with every common shape.
type Inner struct {
	X     float64
	Bytes []byte
}

// Nested nests Inner in a pointer, a slice and a map.
type Nested struct {
	Name   string
	Tags   []string
	Counts map[string]int
	Inner  *Inner
	List   []Inner
}

// Echo returns what it is given.
type Echo int

// String echoes a string.
func (*Echo) String(s string, reply *string) error { *reply = s; return nil }

// Bytes echoes a byte slice.
func (*Echo) Bytes(b []byte, reply *[]byte) error { *reply = b; return nil }

// Nested echoes a nested struct.
func (*Echo) Nested(n Nested, reply *Nested) error { *reply = n; return nil }

// Upper upper-cases a string.
func (*Echo) Upper(s string, reply *string) error { *reply = strings.ToUpper(s); return nil }

// Sum adds a list of numbers: a method that takes a whole positional list.
func (*Echo) Sum(xs []int, reply *int) error {
	for _, x := range xs {
		*reply += x
	}
	return nil
}

// Blocker's Wait blocks until Release is closed, after telling Started.
type Blocker struct {
	Started chan struct{}
	Release chan struct{}
}

// NewBlocker returns a Blocker with its channels made.
func NewBlocker() *Blocker {
	return &Blocker{Started: make(chan struct{}, 1024), Release: make(chan struct{})}
}

// Wait blocks until Release is closed.
func (b *Blocker) Wait(n int, reply *int) error {
	b.Started <- struct{}{}
	<-b.Release
	*reply = n
	return nil
}
