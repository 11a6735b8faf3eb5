package bench

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// profileNote runs fn under the CPU profiler for d and says what dominates:
// the share of CPU time under GORM, the drivers, reflection and the
// garbage collector, and the heaviest functions. The profile is kept for
// `go tool pprof`.
func profileNote(ctx context.Context, workers int, d time.Duration, fn func(context.Context) error, name string) string {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return "could not profile: " + err.Error()
	}
	_, err := rate(ctx, workers, d, fn)
	pprof.StopCPUProfile()
	if err != nil {
		return "could not profile: " + err.Error()
	}
	path := filepath.Join(os.TempDir(), "holler-bench-"+strings.NewReplacer(" ", "-", ",", "").Replace(name)+".pprof")
	saved := ""
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err == nil {
		saved = "; profile: " + path
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		return "could not read the profile: " + err.Error()
	}
	return summarize(p) + saved
}

// summarize is the share of CPU time (cumulative) in a few groups of
// packages and the three heaviest functions by their own time.
func summarize(p *profile.Profile) string {
	groups := []struct{ name, prefix string }{
		{"GORM", "gorm.io/"},
		{"pgx", "github.com/jackc/"},
		{"sqlite", "modernc.org/"},
		{"database/sql", "database/sql."},
		{"reflect", "reflect."},
		{"GC", "runtime.gcBgMarkWorker"},
		{"malloc", "runtime.mallocgc"},
		{"syscalls", "syscall."},
	}
	vi := len(p.SampleType) - 1 // cpu nanoseconds
	var total int64
	cum := make([]int64, len(groups))
	flat := map[string]int64{}
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		hit := make([]bool, len(groups))
		for li, loc := range s.Location {
			for lj, line := range loc.Line {
				if line.Function == nil {
					continue
				}
				fn := line.Function.Name
				if li == 0 && lj == 0 {
					flat[fn] += v
				}
				for gi, g := range groups {
					if !hit[gi] && strings.HasPrefix(fn, g.prefix) {
						hit[gi] = true
						cum[gi] += v
					}
				}
			}
		}
	}
	if total == 0 {
		return "the profile has no samples"
	}
	pct := func(v int64) string { return fmt.Sprintf("%.0f%%", 100*float64(v)/float64(total)) }
	var parts []string
	for gi, g := range groups {
		if cum[gi]*100 >= total*3 {
			parts = append(parts, g.name+" "+pct(cum[gi]))
		}
	}
	type fv struct {
		fn string
		v  int64
	}
	var top []fv
	for fn, v := range flat {
		top = append(top, fv{fn, v})
	}
	slices.SortFunc(top, func(a, b fv) int { return cmp.Compare(b.v, a.v) })
	var heavy []string
	for _, t := range top[:min(3, len(top))] {
		heavy = append(heavy, t.fn+" "+pct(t.v))
	}
	return "CPU of the GORM run: " + strings.Join(parts, ", ") + "; heaviest: " + strings.Join(heavy, ", ")
}
