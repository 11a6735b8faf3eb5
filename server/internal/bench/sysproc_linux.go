package bench

import "syscall"

// childAttr ties a child server's life to the bench's: if the bench dies
// (a test timeout, a kill), its servers get SIGTERM instead of running on.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard one. Calling
// Setrlimit ourselves (not the runtime's automatic raise) makes the child
// servers inherit the raised limit too.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}
