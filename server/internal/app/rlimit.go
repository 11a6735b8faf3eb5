//go:build unix

package app

import (
	"log/slog"
	"syscall"
)

// raiseFileLimit lifts the soft limit on open files to the hard limit:
// every websocket is a file descriptor, and the usual soft limit (1,024)
// would refuse connections long before memory or CPU run short. The Go
// runtime does the same at start on most systems; doing it here as well
// covers the rest and puts the limit the instance runs with in its log.
func raiseFileLimit(logger *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		logger.Warn("read the open files limit", "err", err)
		return
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			logger.Warn("raise the open files limit", "err", err, "soft", lim.Cur, "hard", lim.Max)
			return
		}
		lim = raised
	}
	logger.Info("open files limit", "soft", lim.Cur, "hard", lim.Max)
}
