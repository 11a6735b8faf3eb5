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
	if err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "holler:", err)
		os.Exit(1)
	}
}
