// Package scaleout holds the multi-instance tests and benchmarks: several
// Holler servers (real processes, or in-process for the benchmarks) on one
// PostgreSQL database, linked by LISTEN/NOTIFY or by NATS. It has no code
// of its own.
package scaleout
