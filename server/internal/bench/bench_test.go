package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"holler/server/internal/app"
	"holler/server/internal/bench"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// runAsHoller makes this test binary act as the holler binary when the
// bench starts it as a child (`<exe> serve`): the bench runs through the
// real entry point and measures real server processes.
const runAsHoller = "BENCH_TEST_RUN_HOLLER"

func TestMain(m *testing.M) {
	if os.Getenv(runAsHoller) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "holler:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Setenv(runAsHoller, "1")
	os.Exit(m.Run())
}

// TestBenchQuick runs `holler bench --quick --json` on each store and
// checks that every figure is there with a sane value. It never judges
// speed: the quick run is too small for that and the machine is shared.
func TestBenchQuick(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		env := map[string]string{}
		args := []string{"bench", "--quick", "--json", "--store", dialect}
		want := []string{"startup", "restart", "memory", "submissions", "latency_p50", "latency_p99",
			"fanout_rate", "fanout_p99", "burst_p99", "gorm_inbox", "gorm_replay"}
		unavailable := []string{"instances"}
		if dialect == store.DialectPostgres {
			// A database of the test's own, in which the bench creates
			// (and drops) another.
			env["HOLLER_BENCH_POSTGRES_URL"] = storetest.FreshPostgres(t)
			want = append(want, "instances_p50", "instances_p99")
			unavailable = nil
			if natsUp() {
				args = append(args, "--nats-url", "nats://127.0.0.1:4222")
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var out, errOut bytes.Buffer
		err := app.Run(ctx, args, func(k string) string { return env[k] }, nil, &out, &errOut)
		if err != nil {
			t.Fatalf("holler bench: %v\n%s\n%s", err, out.String(), errOut.String())
		}
		var r bench.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("the report is not JSON: %v\n%s", err, out.String())
		}
		if r.Store != dialect || !r.Quick || r.Machine.Cores < 1 {
			t.Errorf("report header: %+v", r)
		}
		got := map[string]bench.Figure{}
		for _, f := range r.Figures {
			got[f.ID] = f
		}
		for _, id := range want {
			f, ok := got[id]
			switch {
			case !ok:
				t.Errorf("figure %s missing (have %v)", id, ids(r.Figures))
			case f.Unavailable || !sane(f.Value):
				t.Errorf("figure %s: value %v (unavailable %v, note %q)", id, f.Value, f.Unavailable, f.Note)
			case f.BaselineLabel != "" && !sane(f.Baseline):
				t.Errorf("figure %s: baseline %v", id, f.Baseline)
			case f.Met != nil:
				t.Errorf("figure %s: a quick run judged a target", id)
			}
		}
		for _, id := range unavailable {
			if f, ok := got[id]; !ok || !f.Unavailable || f.Note == "" {
				t.Errorf("figure %s should say why it is not available: %+v", id, f)
			}
		}
		if dialect == store.DialectPostgres {
			// Over NATS: a figure when this build's servers use NATS, else
			// an honest "not available" (never a wrong figure).
			f, ok := got["instances_nats_p99"]
			if !ok || (f.Unavailable && f.Note == "") || (!f.Unavailable && !sane(f.Value)) {
				t.Errorf("NATS row: %+v (present %v)", f, ok)
			}
		}
	})
}

func sane(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

func ids(fs []bench.Figure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func natsUp() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
