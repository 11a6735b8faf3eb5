package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"holler/server/internal/model"
)

// These tests pin down what Holler needs from its SQLite driver, so that a
// driver change (or upgrade) that loses any of it fails here: the settings
// in the DSN take effect, times sort as text, a duplicate is a conflict, and
// the driver runs with the SQLite build it was released with.

// sqliteTimeLayout is how the driver writes times: as TEXT, since SQLite
// has no time type. With UTC times and "+00:00" after a fraction trimmed of
// zeros it sorts as text the way the times do ("+" sorts below every digit);
// RFC 3339 with "Z", another driver's default, does not ("…:05.12Z" sorts
// after "…:05.123Z"). A driver change must keep this layout, or existing
// databases would mix two that do not compare.
const sqliteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

func openSQLite(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestSQLiteSettings: WAL with synchronous=FULL (durable once acknowledged),
// foreign keys enforced, and a busy timeout instead of instant SQLITE_BUSY;
// temporary storage in memory, and the writer leaves the log's checkpoints
// to Checkpoint up to 10,000 pages. The readers read only.
func TestSQLiteSettings(t *testing.T) {
	s := openSQLite(t)
	common := map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "10000",
		"temp_store":   "2", // MEMORY
	}
	writer := maps.Clone(common)
	writer["synchronous"] = "2" // FULL
	writer["wal_autocheckpoint"] = "10000"
	writer["query_only"] = "0"
	for pragma, want := range writer {
		var got string
		if err := s.db.Raw("PRAGMA " + pragma).Row().Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("writer: PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	readers := maps.Clone(common)
	readers["query_only"] = "1"
	for pragma, want := range readers {
		var got string
		if err := s.readers.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("readers: PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

// TestSQLiteCheckpoint: Checkpoint copies the write-ahead log into the
// database file when no reader holds it back.
func TestSQLiteCheckpoint(t *testing.T) {
	s := openSQLite(t)
	ctx := t.Context()
	if err := s.db.Exec("CREATE TABLE notes (body TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := s.db.Exec("INSERT INTO notes (body) VALUES (?)", fmt.Sprintf("note %d", i)).Error; err != nil {
			t.Fatal(err)
		}
	}
	frames, copied, err := s.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if frames == 0 || copied != frames {
		t.Fatalf("checkpoint: %d frames in the log, %d copied; want all of some", frames, copied)
	}
	var n int
	if err := s.readers.QueryRow("SELECT count(*) FROM notes").Scan(&n); err != nil || n != 50 {
		t.Fatalf("after the checkpoint the readers count %d notes (%v), want 50", n, err)
	}
}

// TestSQLiteTimesSortAsText: SQLite keeps times as TEXT and Holler's queries
// compare and order them as stored (expiry checks, inbox cursors), so the
// stored text must sort the way the times do, also where one fraction is a
// prefix of another and for whole seconds. It must also be the layout that
// databases written by earlier Holler versions hold.
func TestSQLiteTimesSortAsText(t *testing.T) {
	s := openSQLite(t)
	if err := s.db.Exec("CREATE TABLE times (at DATETIME NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 2, 17, 0, 5, 0, time.UTC)
	var want []time.Time
	for _, ns := range []int{0, 1, 100_000_000, 120_000_000, 123_000_000, 123_400_000, 123_456_789, 500_000_000, 999_999_999, 1_000_000_000} {
		want = append(want, base.Add(time.Duration(ns)))
	}
	shuffled := slices.Clone(want)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, at := range shuffled {
		if err := s.db.Exec("INSERT INTO times (at) VALUES (?)", at).Error; err != nil {
			t.Fatal(err)
		}
	}

	var got []time.Time
	if err := s.db.Raw("SELECT at FROM times ORDER BY at").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("ORDER BY at gave\n %v\nwant\n %v", got, want)
	}
	for i, at := range want {
		var n int
		if err := s.db.Raw("SELECT count(*) FROM times WHERE at < ?", at).Row().Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i {
			t.Errorf("WHERE at < %s counted %d rows, want %d", at.Format(time.RFC3339Nano), n, i)
		}
	}

	var raw string
	if err := s.db.Raw("SELECT CAST(at AS TEXT) FROM times ORDER BY at DESC LIMIT 1").Row().Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if w := want[len(want)-1].Format(sqliteTimeLayout); raw != w {
		t.Errorf("stored %q, want %q (the layout existing databases hold)", raw, w)
	}
}

// TestSQLiteDuplicateIsConflict: a UNIQUE violation reaches the service as
// model.ErrConflict (a 409, never a 500).
func TestSQLiteDuplicateIsConflict(t *testing.T) {
	s := openSQLite(t)
	if err := s.db.Exec("CREATE TABLE uniq (email TEXT NOT NULL UNIQUE)").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("INSERT INTO uniq VALUES ('ann@example.com')").Error; err != nil {
		t.Fatal(err)
	}
	err := s.db.Exec("INSERT INTO uniq VALUES ('ann@example.com')").Error
	if !errors.Is(translate(err), model.ErrConflict) {
		t.Errorf("duplicate insert: %v, want model.ErrConflict", translate(err))
	}
}

// releasedPairs names, for each SQLite driver module, the module holding the
// SQLite build it drives. The two are released together and must be linked
// at exactly the version the driver's go.mod names: Go's minimal version
// selection lets any other dependency lift the second past the first (goose
// did this to modernc.org/libc), giving a combination nobody tested.
var releasedPairs = map[string]string{
	"modernc.org/sqlite":            "modernc.org/libc",
	"github.com/ncruces/go-sqlite3": "github.com/ncruces/go-sqlite3-wasm/", // any major version
}

// TestSQLiteDriverIsAReleasedPair checks the modules the server binary links
// against the drivers' own go.mod files.
func TestSQLiteDriverIsAReleasedPair(t *testing.T) {
	// A test binary carries no module list of its own, so ask the go command
	// what `go build ./server` links.
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{with .Module}}{{.Path}} {{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}{{end}}`,
		"holler/server").Output()
	if err != nil {
		t.Fatalf("go list -deps holler/server: %v", err)
	}
	linked := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if path, version, ok := strings.Cut(line, " "); ok {
			linked[path] = version
		}
	}
	var drivers int
	for driver, companion := range releasedPairs {
		version, ok := linked[driver]
		if !ok {
			continue
		}
		drivers++
		wants := requiredBy(t, driver, version, companion)
		if len(wants) == 0 {
			t.Errorf("%s@%s requires no %s; update releasedPairs", driver, version, companion)
		}
		for path, want := range wants {
			if got := linked[path]; got != want {
				t.Errorf("%s@%s was released with %s %s, but %s is linked: pin it in go.mod",
					driver, version, path, want, cmp.Or(got, "none"))
			}
		}
	}
	if drivers == 0 {
		t.Errorf("none of the SQLite drivers %v is linked; add the one in use to releasedPairs", slices.Collect(maps.Keys(releasedPairs)))
	}
}

// requiredBy reads module@version's go.mod and returns the versions it
// requires of the module(s) named companion (a path ending in "/" is a
// prefix, to match any major version).
func requiredBy(t *testing.T, module, version, companion string) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module+"@"+version).Output()
	if err != nil {
		t.Fatalf("go mod download %s@%s: %v", module, version, err)
	}
	var dl struct{ GoMod string }
	if err := json.Unmarshal(out, &dl); err != nil || dl.GoMod == "" {
		t.Fatalf("go mod download %s@%s: no go.mod in %s", module, version, out)
	}
	gomod, err := os.ReadFile(dl.GoMod)
	if err != nil {
		t.Fatal(err)
	}
	req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?(\S+)\s+(v\S+)`)
	wants := map[string]string{}
	for _, m := range req.FindAllStringSubmatch(string(gomod), -1) {
		if m[1] == companion || strings.HasSuffix(companion, "/") && strings.HasPrefix(m[1], companion) {
			wants[m[1]] = m[2]
		}
	}
	return wants
}
