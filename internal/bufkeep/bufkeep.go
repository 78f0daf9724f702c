// Package bufkeep decides whether a connection keeps a large buffer after
// using it, so that a stream of large frames reuses one, and a connection
// back to small frames gives it up.
package bufkeep

// Small is the capacity always kept: a connection of small frames keeps
// its buffer, whatever happens.
const Small = 64 << 10

// Max is the largest capacity ever kept between frames.
const Max = 8 << 20

// disuse is how many uses in a row that needed less than an eighth of a
// large buffer make a connection give it up.
const disuse = 8

// Policy keeps one buffer's record of use. Its zero value is ready; it is
// not safe for concurrent use (its owner's lock guards it).
type Policy struct{ small int }

// Keep reports whether a buffer of the given capacity, of which a use just
// took used bytes, is worth keeping for the next: any buffer of Small or
// less; a larger one, up to Max, until it has been needed for less than an
// eighth of itself disuse times in a row.
func (p *Policy) Keep(capacity, used int) bool {
	switch {
	case capacity <= Small:
		p.small = 0
		return true
	case capacity > Max:
		return false
	case used >= capacity/8:
		p.small = 0
		return true
	}
	p.small++
	if p.small >= disuse {
		p.small = 0
		return false
	}
	return true
}
