package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"holler/server/internal/config"
	"holler/server/internal/service"
	"holler/server/internal/store"
)

func openStore(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) (*store.Store, []string, error) {
	fs := flag.NewFlagSet("holler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config.Default()
	cfg.DataDir = firstNonEmpty(getenv("HOLLER_DATA_DIR"), cfg.DataDir)
	cfg.DatabaseURL = getenv("HOLLER_DATABASE_URL")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the embedded store")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "postgres:// URL; empty means embedded SQLite")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	return st, fs.Args(), err
}

// migrate is `holler migrate up|status`.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return fmt.Errorf("usage: holler migrate up|status [--database-url URL] [--data-dir DIR]")
	}
	sub := args[0]
	st, _, err := openStore(ctx, args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "up" {
		applied, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		for _, m := range applied {
			fmt.Fprintln(stdout, "applied", m)
		}
		fmt.Fprintf(stdout, "%s schema is up to date (%d applied now)\n", st.Dialect(), len(applied))
		return nil
	}
	lines, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s migrations:\n", st.Dialect())
	for _, l := range lines {
		fmt.Fprintln(stdout, "  "+l)
	}
	return nil
}

// userCmd is `holler user create --email E --password P [--role R] [--name N]`.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: holler user create --email E --password P [--role admin|agent] [--name N]")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "e-mail address (required)")
	password := fs.String("password", "", "password, at least 12 characters (required)")
	role := fs.String("role", "admin", "admin or agent")
	name := fs.String("name", "", "display name")
	dataDir := fs.String("data-dir", firstNonEmpty(getenv("HOLLER_DATA_DIR"), "./data"), "directory of the embedded store")
	dbURL := fs.String("database-url", getenv("HOLLER_DATABASE_URL"), "postgres:// URL; empty means embedded SQLite")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{DatabaseURL: *dbURL, DataDir: *dataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	svc := service.New(service.Options{Store: st})
	u, err := svc.CreateUserCLI(ctx, service.UserInput{Email: email, Password: password, Role: role, Name: name})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}

// healthcheck is the container's HEALTHCHECK: GET /healthz on this host.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	addr := firstNonEmpty(getenv("HOLLER_ADDR"), ":8080")
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: address %q: %w", addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: status %d", resp.StatusCode)
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
