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

// summarize splits the CPU time into who caused it: each sample goes to
// the garbage collector's background work, to system calls, or else to
// the package of the nearest frame (from the leaf) outside the runtime, so
// an allocation GORM makes counts as GORM's. The three heaviest functions
// by their own time follow.
func summarize(p *profile.Profile) string {
	vi := len(p.SampleType) - 1 // cpu nanoseconds
	var total int64
	by := map[string]int64{}
	flat := map[string]int64{}
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		var names []string
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				// A preempted sample's leaf is the preemption, not the work.
				if line.Function != nil && line.Function.Name != "runtime.asyncPreempt" {
					names = append(names, line.Function.Name)
				}
			}
		}
		if len(names) > 0 {
			flat[names[0]] += v
		}
		by[blame(names)] += v
	}
	if total == 0 {
		return "the profile has no samples"
	}
	pct := func(v int64) string { return fmt.Sprintf("%.0f%%", 100*float64(v)/float64(total)) }
	return "CPU of the GORM run by cause: " + strings.Join(heaviest(by, 6, pct), ", ") +
		"; heaviest functions: " + strings.Join(heaviest(flat, 3, pct), ", ")
}

// blame names the cause of one sample's stack (leaf first).
func blame(stack []string) string {
	for _, fn := range stack {
		switch {
		case strings.HasPrefix(fn, "runtime.gcBgMarkWorker"):
			return "GC"
		case strings.HasPrefix(fn, "syscall.") || strings.HasPrefix(fn, "internal/poll."):
			return "syscalls"
		}
	}
	causes := []struct{ name, prefix string }{
		{"GORM", "gorm.io/"}, {"pgx", "github.com/jackc/"}, {"sqlite", "modernc.org/"}, {"sqlite", "github.com/glebarez/"},
		{"database/sql", "database/sql."}, {"reflect", "reflect."}, {"json", "encoding/json."}, {"holler", "holler/"},
	}
	for _, fn := range stack {
		// Assembly helpers (gcWriteBarrier) have no package: the runtime's.
		if !strings.Contains(fn, ".") || strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/") || strings.HasPrefix(fn, "sync.") {
			continue
		}
		for _, c := range causes {
			if strings.HasPrefix(fn, c.prefix) {
				return c.name
			}
		}
		return pkgOf(fn)
	}
	return "runtime"
}

// pkgOf is the package path of a profile's function name.
func pkgOf(fn string) string {
	slash := strings.LastIndex(fn, "/")
	if dot := strings.Index(fn[slash+1:], "."); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}

// heaviest lists the n largest entries of m as "name NN%".
func heaviest(m map[string]int64, n int, pct func(int64) string) []string {
	type kv struct {
		k string
		v int64
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	slices.SortFunc(all, func(a, b kv) int { return cmp.Or(cmp.Compare(b.v, a.v), cmp.Compare(a.k, b.k)) })
	var out []string
	for _, e := range all[:min(n, len(all))] {
		out = append(out, e.k+" "+pct(e.v))
	}
	return out
}
