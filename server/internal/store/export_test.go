package store

import "time"

// SetListenIdle shortens how long Listen waits before it checks a quiet
// connection; the returned func restores it.
func SetListenIdle(d time.Duration) func() {
	old := listenIdle
	listenIdle = d
	return func() { listenIdle = old }
}

// WithConnectTimeout exposes the DSN rule to the tests.
var WithConnectTimeout = withConnectTimeout
