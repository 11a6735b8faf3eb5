package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// On PostgreSQL, events are numbered after commit rather than inside the
// writing transaction. A writer inserts its events into pending_events and,
// once committed, waits for a sequencer pass that started after its commit.
// A pass holds the site row's lock (FOR NO KEY UPDATE: writers' foreign-key
// checks take KEY SHARE and pass by) only for itself, moves every pending
// row it sees into events in id order with seq = event_seq+1.., advances
// event_seq and commits; then it announces the new position. Passes of one
// site run one at a time on any number of instances (the row lock), and each
// commits before the next starts, so:
//   - readers, who only read events, see each site's seqs gap-free: a pass
//     they see committed implies every earlier pass is visible to them;
//   - no event appears behind a cursor: a seq is handed out only to a row
//     already committed, and only above every seq handed out before;
//   - events keep causal order: an event written after another committed
//     has a higher id and is visible no earlier.
// Unlike numbering below the snapshot horizon (pg_snapshot_xmin), a pass
// never waits for unrelated open transactions (of this database or any
// other on the cluster): a long transaction delays only its own events.
// A crashed writer's committed rows, or a pass that failed, are numbered by
// the next pass, which the app's loop runs for every site with pending rows.

// passLimit bounds the rows one statement moves; a larger backlog takes
// several statements in the same pass.
const passLimit = 1000

// sequencer coalesces passes per site on this instance: while a pass runs,
// every writer that commits waits for the one next pass.
type sequencer struct {
	st    *Store
	mu    sync.Mutex
	sites map[string]*seqSite
	// numbered announces a pass's new position. It must not wait on the
	// network: the realtime broker's Publish only hands the notice to its
	// outbox, which coalesces per site and sends it to other instances.
	numbered func(siteID string, seq int64)
}

type seqSite struct {
	running bool
	next    chan struct{} // closed when the next pass to start has ended; nil if none is wanted
}

// SetNumbered names the function told each site's new position after a
// pass numbered events (the realtime broker's publish).
func (s *Store) SetNumbered(fn func(siteID string, seq int64)) {
	if s.seq == nil {
		return
	}
	s.seq.mu.Lock()
	s.seq.numbered = fn
	s.seq.mu.Unlock()
}

// NumberPending runs a pass for every site that has unnumbered events
// (events of a writer that crashed after commit, or of a pass that
// failed) and returns how many sites it looked at, and the age of the
// oldest event that was waiting.
func (s *Store) NumberPending(ctx context.Context) (sites int, oldest time.Duration, err error) {
	if s.seq == nil {
		return 0, 0, nil
	}
	var rows []struct {
		SiteID string
		Age    float64
	}
	err = s.q(ctx).Raw(`SELECT site_id, EXTRACT(EPOCH FROM clock_timestamp() - min(queued_at))::float8 AS age
		FROM pending_events GROUP BY site_id`).Scan(&rows).Error
	if err != nil {
		return 0, 0, fmt.Errorf("pending events: %w", translate(err))
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.SiteID)
		oldest = max(oldest, time.Duration(r.Age*float64(time.Second)))
	}
	s.seq.await(ctx, ids)
	return len(ids), oldest, nil
}

// await returns once a pass that started after the call has ended for each
// of sites (or ctx ended). A pass that fails is logged and leaves its rows
// for the next.
func (q *sequencer) await(ctx context.Context, sites []string) {
	waits := make([]chan struct{}, 0, len(sites))
	q.mu.Lock()
	for _, id := range sites {
		ss := q.sites[id]
		if ss == nil {
			ss = &seqSite{}
			q.sites[id] = ss
		}
		if ss.next == nil {
			ss.next = make(chan struct{})
		}
		waits = append(waits, ss.next)
		if !ss.running {
			ss.running = true
			go q.run(id, ss)
		}
	}
	q.mu.Unlock()
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// run makes passes for a site as long as writers want one.
func (q *sequencer) run(siteID string, ss *seqSite) {
	for {
		q.mu.Lock()
		ch, announce := ss.next, q.numbered
		if ch == nil {
			ss.running = false
			delete(q.sites, siteID)
			q.mu.Unlock()
			return
		}
		ss.next = nil
		q.mu.Unlock()
		seq, moved, err := q.pass(siteID)
		close(ch)
		if err != nil {
			slog.Warn("number events; the next pass will", "site_id", siteID, "err", err)
			continue
		}
		if moved > 0 && announce != nil {
			announce(siteID, seq)
		}
	}
}

// pass numbers the site's pending events (migration 0009's
// holler_number_events, one round trip) and returns the site's new position
// and how many it numbered.
func (q *sequencer) pass(siteID string) (seq, moved int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	defer cancel()
	var pos sql.NullInt64
	err = q.st.db.WithContext(ctx).Raw("SELECT seq, moved FROM holler_number_events(?, ?)", siteID, passLimit).Row().Scan(&pos, &moved)
	if err != nil {
		return 0, 0, fmt.Errorf("number events: %w", translate(err))
	}
	return pos.Int64, moved, nil
}
