//go:build !unix

package app

import "log/slog"

// raiseFileLimit has nothing to raise where there is no RLIMIT_NOFILE.
func raiseFileLimit(*slog.Logger) {}
