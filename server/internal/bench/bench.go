// Package bench is `holler bench`: it starts its own servers (child
// processes of this binary) on a fresh database, loads them from outside
// like widgets and dashboards do, and prints each figure beside a baseline
// measured in the same run on the same machine.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Usage is the command's line in `holler help`.
const Usage = "holler bench [--store sqlite|postgres] [--quick] [--json] [--only figure,...] [--nats-url URL]"

// DefaultPostgresURL is where the bench creates (and drops) its database
// unless HOLLER_BENCH_POSTGRES_URL names another server.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test"

// figureNames are the groups of figures, in the order they run; --only
// takes these names.
var figureNames = []string{"startup", "memory", "submissions", "latency", "fanout", "instances", "queries"}

// scale is how hard and how long each figure loads the server.
type scale struct {
	submitFor            time.Duration
	latDashboards        int
	latRate              float64
	latFor               time.Duration
	fanDashboards        int
	fanRate              float64
	fanFor               time.Duration
	burst                int
	idleSockets          int
	instRate             float64
	instFor              time.Duration
	queryFor             time.Duration
	settle               time.Duration
	dialParallel, writes int
}

var (
	fullScale = scale{
		submitFor: 5 * time.Second, writes: 8,
		latDashboards: 100, latRate: 200, latFor: 10 * time.Second,
		fanDashboards: 1000, fanRate: 120, fanFor: 5 * time.Second, burst: 100,
		idleSockets: 15000, instRate: 20, instFor: 5 * time.Second,
		queryFor: 3 * time.Second, settle: 3 * time.Second, dialParallel: 64,
	}
	quickScale = scale{
		submitFor: time.Second, writes: 8,
		latDashboards: 10, latRate: 100, latFor: time.Second,
		fanDashboards: 50, fanRate: 40, fanFor: time.Second, burst: 20,
		idleSockets: 2000, instRate: 20, instFor: time.Second,
		queryFor: 300 * time.Millisecond, settle: 500 * time.Millisecond, dialParallel: 16,
	}
)

// bench is one run.
type bench struct {
	sc        scale
	quick     bool
	storeKind string
	cfg       serverConfig // of the main instance
	main      *server
	client    *client
	natsURL   string
	progress  io.Writer
	figures   []Figure
	failed    []string
}

// Run is `holler bench`.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("holler bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeKind := fs.String("store", "sqlite", "sqlite or postgres (a fresh database from HOLLER_BENCH_POSTGRES_URL's server)")
	quick := fs.Bool("quick", false, "a small, short run (a smoke test of the bench; the figures are not meaningful)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	only := fs.String("only", "", "comma-separated figures to run: "+strings.Join(figureNames, ","))
	natsURL := fs.String("nats-url", getenv("HOLLER_NATS_URL"), "also measure cross-instance delivery over this NATS server (HOLLER_NATS_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: %s", Usage)
	}
	if *storeKind != "sqlite" && *storeKind != "postgres" {
		return fmt.Errorf("bench: --store must be sqlite or postgres, not %q", *storeKind)
	}
	selected := figureNames
	if *only != "" {
		selected = strings.Split(*only, ",")
		for _, n := range selected {
			if !slices.Contains(figureNames, n) {
				return fmt.Errorf("bench: unknown figure %q (figures: %s)", n, strings.Join(figureNames, ","))
			}
		}
	}
	b := &bench{sc: fullScale, quick: *quick, storeKind: *storeKind, natsURL: *natsURL, progress: stderr}
	if *quick {
		b.sc = quickScale
	}
	report := Report{Store: *storeKind, Quick: *quick, Started: time.Now().UTC(), Machine: thisMachine(), LoadBefore: loadAverage()}
	err := b.run(ctx, getenv, selected)
	report.Figures, report.LoadAfter = b.figures, loadAverage()
	report.Duration = time.Since(report.Started).Seconds()
	if len(b.figures) > 0 {
		var werr error
		if *asJSON {
			werr = writeJSON(stdout, report)
		} else {
			werr = writeTable(stdout, report)
		}
		err = errors.Join(err, werr)
	}
	if len(b.failed) > 0 {
		err = errors.Join(err, fmt.Errorf("bench: %s failed (see the notes)", strings.Join(b.failed, ", ")))
	}
	return err
}

func (b *bench) say(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

func (b *bench) run(ctx context.Context, getenv func(string) string, selected []string) error {
	if n, err := raiseFileLimit(); err != nil {
		b.say("could not raise the open-file limit: %v", err)
	} else if n > 0 && int(n) < b.sc.idleSockets+1000 {
		b.say("the open-file limit is %d: the idle-socket figure may fail", n)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "holler-bench-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	b.cfg = serverConfig{exe: exe, dataDir: dir, adminEmail: "bench@localhost", adminPass: randomHex(12)}
	if b.storeKind == "postgres" {
		admin := getenv("HOLLER_BENCH_POSTGRES_URL")
		if admin == "" {
			admin = DefaultPostgresURL
		}
		dbURL, drop, err := createDatabase(ctx, admin)
		if err != nil {
			return err
		}
		defer func() {
			if err := drop(); err != nil {
				b.say("%v", err)
			}
		}()
		b.cfg.databaseURL = dbURL
	}
	b.say("starting the server (%s, %s)", b.storeKind, exe)
	if b.main, err = startServer(ctx, b.cfg); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() { b.main.stop() }()
	b.client = newClient(b.main.url)
	if err := b.client.signIn(ctx, b.cfg.adminEmail, b.cfg.adminPass); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	steps := map[string]func(context.Context) error{
		"startup": b.startup, "memory": b.memory, "submissions": b.submissions,
		"latency": b.latency, "fanout": b.fanout, "instances": b.instances, "queries": b.queries,
	}
	for _, name := range figureNames {
		if !slices.Contains(selected, name) {
			continue
		}
		b.say("measuring %s", name)
		err := caughtUp(ctx, b.client, time.Minute)
		if err == nil {
			err = steps[name](ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.failed = append(b.failed, name)
			note := "failed: " + err.Error()
			if p := b.main.problems(); p != "" {
				note += "; the server logged:\n" + p
			}
			b.figures = append(b.figures, Figure{ID: name, Name: name, Unavailable: true, Note: note})
		}
	}
	return nil
}

func (b *bench) add(f Figure) { b.figures = append(b.figures, f) }

// target returns whether ok meets the target; quick runs are too small to
// judge, so they judge nothing.
func (b *bench) target(ok bool) *bool {
	if b.quick {
		return nil
	}
	return met(ok)
}

func randomHex(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}

// startup reports the main instance's start: process start to /readyz,
// beside process start to the first /healthz.
// The server is then restarted on the same data, which also gives the
// figures after this one a fresh process.
func (b *bench) startup(ctx context.Context) error {
	b.add(Figure{ID: "startup", Name: "start to ready (first start, migrations)", Value: b.main.ready.Seconds(), Unit: "s",
		Baseline: b.main.healthy.Seconds(), BaselineLabel: "first /healthz"})
	b.main.stop()
	s, err := startServer(ctx, b.cfg)
	if err != nil {
		return err
	}
	b.main, b.client = s, b.client.forServer(s.url)
	b.add(Figure{ID: "restart", Name: "start to ready (restart)", Value: s.ready.Seconds(), Unit: "s",
		Baseline: s.healthy.Seconds(), BaselineLabel: "first /healthz"})
	return nil
}
