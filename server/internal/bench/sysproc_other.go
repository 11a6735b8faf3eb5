//go:build !linux

package bench

import "syscall"

func childAttr() *syscall.SysProcAttr { return nil }

func raiseFileLimit() (uint64, error) { return 0, nil }
