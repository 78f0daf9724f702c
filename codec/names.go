package codec

// maxMethodNames bounds the method names a connection remembers.
const maxMethodNames = 64

// methodNames reuses the string of a method name seen before: a connection
// calls few methods, many times, and each call would otherwise allocate
// its name. Used by one read loop only.
type methodNames map[string]string

func (m *methodNames) intern(b []byte) string {
	if s, ok := (*m)[string(b)]; ok {
		return s
	}
	s := string(b)
	if *m == nil {
		*m = make(methodNames)
	}
	if len(*m) < maxMethodNames {
		(*m)[s] = s
	}
	return s
}
