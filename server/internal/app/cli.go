package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"holler/server/internal/bench"
	"holler/server/internal/config"
	"holler/server/internal/model"
	"holler/server/internal/service"
	"holler/server/internal/store"
)

// openStore opens the database named by HOLLER_DATABASE_URL/HOLLER_DATA_DIR
// or fs's --database-url/--data-dir, parsing args with fs (which may hold
// the subcommand's own flags too), under the same rules as the server.
func openStore(ctx context.Context, fs *flag.FlagSet, args []string, getenv func(string) string) (*store.Store, error) {
	cfg, err := config.LoadStore(fs, args, getenv)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
}

const migrateUsage = "usage: holler migrate up|status [--database-url URL] [--data-dir DIR]"

// migrate is `holler migrate up|status`.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, migrateUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return errors.New(migrateUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("holler migrate "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	st, err := openStore(ctx, fs, args[1:], getenv)
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

const userUsage = `usage: holler user create --email E --password P [--role admin|agent] [--name N]
       holler user set-password --email E     (the new password is read from stdin, one line)
both also take [--database-url URL] [--data-dir DIR]`

// userCmd is `holler user create|set-password`.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, userUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "set-password") {
		return errors.New(userUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("holler user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "e-mail address (required)")
	var password, role, name *string
	if sub == "create" {
		password = fs.String("password", "", "password, at least 12 characters (required)")
		role = fs.String("role", "admin", "admin or agent")
		name = fs.String("name", "", "display name")
	}
	st, err := openStore(ctx, fs, args[1:], getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	svc := service.New(service.Options{Store: st})
	if sub == "set-password" {
		return setPassword(ctx, st, svc, *email, stdin, stdout, stderr)
	}
	u, err := svc.CreateUserCLI(ctx, service.UserInput{Email: email, Password: password, Role: role, Name: name})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}

// setPassword is `holler user set-password --email E`. The password comes
// from stdin, never from a flag, so it stays out of shell history and the
// process list. The service applies the same password rules as the API
// and ends the user's sessions (access tokens and refresh tokens).
func setPassword(ctx context.Context, st *store.Store, svc *service.Service, email string, stdin io.Reader, stdout, stderr io.Writer) error {
	if email == "" {
		return errors.New("user set-password: --email is required")
	}
	u, err := st.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, model.ErrNotFound) {
		return fmt.Errorf("user set-password: no user with e-mail %q", email)
	}
	if err != nil {
		return err
	}
	if isTerminal(stdin) {
		// Without a terminal library the typed password is echoed; say so
		// rather than pretend otherwise.
		fmt.Fprintf(stderr, "New password for %s (shown as you type; end with Enter): ", u.Email)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return fmt.Errorf("user set-password: read the password from stdin: %w", err)
	}
	password := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	// The CLI runs on the server itself, as the operator: it acts as an
	// admin, like user create.
	if _, err := svc.UpdateUser(ctx, &model.User{Role: model.RoleAdmin}, u.ID, service.UserInput{Password: &password}); err != nil {
		return fmt.Errorf("user set-password: %w", err)
	}
	fmt.Fprintf(stdout, "password set for %s; their sessions have ended\n", u.Email)
	return nil
}

// isTerminal reports whether v (a reader or writer) is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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

// benchCmd is `holler bench`: it starts servers of its own (this binary,
// `serve`) and prints each figure beside its same-run baseline.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "usage: "+bench.Usage)
	}
	return bench.Run(ctx, args, getenv, stdout, stderr)
}
