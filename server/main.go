// Command holler is a self-hosted help and complaints button for any
// website: `go run ./server` serves everything on the embedded store.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"holler/server/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "holler:", err)
		os.Exit(1)
	}
}

// run is the program behind main, with its inputs passed in: the signal
// context, the arguments, the environment and where to print.
func run(ctx context.Context, args []string, getenv func(string) string, stdout *os.File) error {
	return app.Run(ctx, args, getenv, os.Stdin, stdout, os.Stderr)
}
