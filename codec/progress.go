package codec

// ProgressValue, given to ReadBody for a [Progress] frame, decodes the
// progress value alone into V (a pointer): the member the dialect's
// ProgressValue names, or, where that is "", the params themselves. Any
// other value given to ReadBody for a Progress frame decodes the
// notification's params, so that a progress message for a token nobody
// waits on can be served as the notification it is.
type ProgressValue struct{ V any }
