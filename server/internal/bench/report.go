package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one measured row: a value beside the baseline measured in the
// same run, and the target the issue sets.
type Figure struct {
	// ID is the figure's stable key (startup, submissions, latency_p99...).
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	// BaselineLabel says what the baseline is (e.g. "INSERT loop").
	BaselineLabel string `json:"baseline_label,omitempty"`
	// Ratio is Value/Baseline when the target is a ratio or both are rates.
	Ratio  float64 `json:"ratio,omitempty"`
	Target string  `json:"target,omitempty"`
	// Met is nil when the figure has no target.
	Met *bool `json:"met,omitempty"`
	// Note carries what a reader needs to trust the number (errors seen,
	// what was not available, what dominated a profile).
	Note string `json:"note,omitempty"`
	// Unavailable marks a row this build or store cannot measure.
	Unavailable bool `json:"unavailable,omitempty"`
}

// Report is the whole run, as --json prints it.
type Report struct {
	Store   string    `json:"store"`
	Quick   bool      `json:"quick"`
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	// LoadBefore and LoadAfter are the machine's 1-minute load average
	// when the run began and ended: other work on the machine shows here.
	LoadBefore float64  `json:"load_before"`
	LoadAfter  float64  `json:"load_after"`
	Figures    []Figure `json:"figures"`
	Duration   float64  `json:"duration_seconds"`
}

// Machine names where the figures came from.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemoryMB  int    `json:"memory_mb"`
	OS        string `json:"os"`
	GoVersion string `json:"go"`
}

func thisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if kb, err := procField("/proc/meminfo", "MemTotal"); err == nil {
		m.MemoryMB = int(kb / 1024)
	}
	return m
}

func met(ok bool) *bool { return &ok }

func ratio(v, base float64) float64 {
	if base <= 0 {
		return 0
	}
	return v / base
}

// writeTable prints the aligned table, notes under it.
func writeTable(w io.Writer, r Report) error {
	fmt.Fprintf(w, "holler bench: store=%s quick=%v  %s, %d cores, %d MB, %s, %s, %s\n",
		r.Store, r.Quick, r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryMB, r.Machine.OS, r.Machine.GoVersion, r.Started.Format(time.DateTime+" MST"))
	busy := ""
	if max(r.LoadBefore, r.LoadAfter) > float64(r.Machine.Cores) {
		busy = " (more than the cores: other work shared the CPUs)"
	}
	fmt.Fprintf(w, "load average %.1f at the start, %.1f at the end%s\n\n", r.LoadBefore, r.LoadAfter, busy)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tbaseline\tratio\ttarget\tmet")
	var notes []string
	for _, f := range r.Figures {
		value, base, rat, ok := "not available", "", "", ""
		if !f.Unavailable {
			value = formatValue(f.Value, f.Unit)
			if f.BaselineLabel != "" {
				base = formatValue(f.Baseline, f.Unit) + " (" + f.BaselineLabel + ")"
			}
			if f.Ratio != 0 {
				rat = fmt.Sprintf("%.2fx", f.Ratio)
			}
			if f.Met != nil {
				ok = "no"
				if *f.Met {
					ok = "yes"
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, value, base, rat, f.Target, ok)
		if f.Note != "" {
			notes = append(notes, "  "+f.Name+": "+f.Note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		fmt.Fprintln(w, strings.Join(notes, "\n"))
	}
	fmt.Fprintf(w, "\n(%.0f s)\n", r.Duration)
	return nil
}

func writeJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func formatValue(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.2f ms", v)
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "KB":
		return fmt.Sprintf("%.1f KB", v)
	case "/s":
		return thousands(v) + "/s"
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

// thousands writes a rate like 15,565.
func thousands(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// loadAverage is the 1-minute load average (0 where unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
