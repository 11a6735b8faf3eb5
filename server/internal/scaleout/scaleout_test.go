package scaleout

import (
	"fmt"
	"strings"
	"testing"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestScaleOut runs two server processes on one fresh PostgreSQL database,
// linked once by LISTEN/NOTIFY and once by NATS (the shared server), and
// checks what a load balancer in front of them relies on:
//   - a widget submission on A reaches a dashboard socket on B live;
//   - a cursor taken on A resumes on B: exact replay, nothing missed or doubled;
//   - SIGKILL A while submissions continue on both, then restart it: every
//     acknowledged (201) submission reaches the surviving dashboard on B,
//     in log order, once, and a socket on the restarted A replays the same.
func TestScaleOut(t *testing.T) {
	for _, transport := range []string{"postgres", "nats"} {
		t.Run(transport, func(t *testing.T) {
			db := storetest.FreshPostgres(t)
			opts := testserver.ProcessOptions{DatabaseURL: db}
			if transport == "nats" {
				opts.NATSURL = testserver.NATSURL(t)
			}
			a := testserver.StartProcess(t, opts)
			b := testserver.StartProcess(t, opts)
			for _, p := range []*testserver.Process{a, b} {
				if !strings.Contains(p.Log.String(), `"msg":"realtime transport","transport":"`+transport+`"`) {
					t.Fatalf("%s did not log the %s transport:\n%s", p.URL, transport, p.Log.String())
				}
			}
			token := a.AdminToken(t)
			live(t, a, b, token)
			killMidStream(t, a, b, token)
		})
	}
}

// live: A's submission reaches B's dashboard, and A's cursor resumes on B.
func live(t *testing.T, a, b *testserver.Process, token string) {
	onA := openDashboard(t, a.Server, token, "")
	onB := openDashboard(t, b.Server, token, "")
	untilHeard(t, a.Server, b.Server, "after start")
	first := mustSubmit(t, a.Server, a.DemoKey, "filed on A")
	onB.waitFor(t, "A's submission on B's dashboard", func(fs []frame) bool { return created(fs, first) >= 0 })

	var ids []string
	for i := range 6 {
		s := []*testserver.Process{a, b}[i%2]
		ids = append(ids, mustSubmit(t, s.Server, s.DemoKey, fmt.Sprintf("live %d", i)))
	}
	fromA := onA.waitFor(t, "every submission on A's dashboard", func(fs []frame) bool { return hasAll(fs, ids) })
	onB.waitFor(t, "every submission on B's dashboard", func(fs []frame) bool { return hasAll(fs, ids) })
	checkOnce(t, "A's dashboard", fromA)

	// The dashboard moves from A to B with the cursor of A's third frame.
	marker := mustSubmit(t, b.Server, b.DemoKey, "marker")
	fromA = onA.waitFor(t, "the marker on A", func(fs []frame) bool { return created(fs, marker) >= 0 })
	exactReplay(t, b.Server, token, fromA[2:], marker)
}

// killMidStream: SIGKILL A under load, restart it, lose nothing.
func killMidStream(t *testing.T, a, b *testserver.Process, token string) {
	underLoad(t, token, b, a, []*testserver.Process{a, b}, func() { a.Kill(t) }, func() { a.Start(t) })
}

// underLoad watches a dashboard on watch while submissions go to targets
// and something breaks and is repaired (15 acknowledged submissions
// before, between and after), then files a marker on main. After the
// repair watch hears notices over the transport again; its dashboard must
// hold every acknowledged submission, once, and exactly what a replay on
// main from its first cursor gives: the log's order.
func underLoad(t *testing.T, token string, watch, main *testserver.Process, targets []*testserver.Process, breakIt, repair func()) {
	t.Helper()
	onWatch := openDashboard(t, watch.Server, token, "")
	// A first frame gives the replay check its starting cursor.
	start := mustSubmit(t, main.Server, main.DemoKey, "before the load")
	onWatch.waitFor(t, "the first frame", func(fs []frame) bool { return created(fs, start) >= 0 })

	servers := make([]*testserver.Server, len(targets))
	for i, p := range targets {
		servers[i] = p.Server
	}
	l := startLoad(main.DemoKey, 2, servers...)
	l.waitAcked(t, 15)
	breakIt()
	l.waitAcked(t, 15)
	repair()
	l.waitAcked(t, 15)
	acked, tries := l.finish()
	untilHeard(t, main.Server, watch.Server, "after the repair")
	marker := mustSubmit(t, main.Server, main.DemoKey, "marker after the repair")
	acked = append(acked, marker)
	t.Logf("%d of %d submissions acknowledged around the break", len(acked)-1, tries)

	fs := onWatch.waitFor(t, "every acknowledged submission", func(fs []frame) bool { return hasAll(fs, acked) })
	checkOnce(t, "the watching dashboard", fs)
	exactReplay(t, main.Server, token, fs, marker)
}

// TestNATSRestart: two processes linked by a NATS server of the test's own;
// submissions go to A while B's dashboard watches, and NATS is killed and
// restarted mid-load. Nothing acknowledged is lost, nothing doubled, and
// B's dashboard holds the log's order.
func TestNATSRestart(t *testing.T) {
	db := storetest.FreshPostgres(t)
	n := testserver.StartNATS(t)
	opts := testserver.ProcessOptions{DatabaseURL: db, NATSURL: n.URL}
	a := testserver.StartProcess(t, opts)
	b := testserver.StartProcess(t, opts)
	underLoad(t, a.AdminToken(t), b, a, []*testserver.Process{a}, func() { n.Kill(t) }, func() { n.Start(t) })
}
