package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"holler/server/internal/app"
	"holler/server/internal/buildinfo"
	"holler/server/internal/testserver"
)

// TestVersionAndHelp: `holler version` prints the build's version and every
// way of asking for help succeeds (the usage lists the commands) instead of
// failing as an unknown flag. The context is already cancelled: a help
// request that started the server by mistake fails instead of hanging.
func TestVersionAndHelp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	getenv := env("HOLLER_DATA_DIR", t.TempDir())
	runCtx := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(ctx, args, getenv, strings.NewReader(""), &out, io.Discard)
		return out.String(), err
	}

	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := runCtx(args...)
		if err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if want := "holler " + buildinfo.Get().Version; !strings.HasPrefix(out, want) || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v printed %q, want %q and %s", args, out, want, runtime.Version())
		}
	}
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"}, {"-help"},
		{"serve", "-h"}, {"serve", "--help"},
		{"migrate", "--help"}, {"migrate", "up", "--help"},
		{"user", "--help"}, {"user", "set-password", "-h"}, {"user", "create", "--help"},
	} {
		out, err := runCtx(args...)
		if err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if len(args) == 1 && (!strings.Contains(out, "holler user set-password") || !strings.Contains(out, "holler version")) {
			t.Errorf("%v: usage lacks the commands:\n%s", args, out)
		}
	}
	if _, err := runCtx("serve", "--no-such-flag"); err == nil {
		t.Error("an unknown flag was accepted")
	}
}

// TestReleaseBinary builds the real binary the way a release does (version
// set with -ldflags -X) and checks it from outside: exit status 0 for
// version and help, 1 for a bad command, and the version reported by
// GET /healthz and holler_build_info of the running server.
func TestReleaseBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// go test puts its own toolchain first on the PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "holler")
	const version = "v9.8.7-releasetest"
	build := exec.Command(goBin, "build", "-o", bin, "-ldflags", "-X holler/server/internal/buildinfo.version="+version, "holler/server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	holler := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"HOLLER_DATA_DIR=" + data, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		}
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out), 0
	}
	if out, code := holler("version"); code != 0 || !strings.HasPrefix(out, "holler "+version+"\n") {
		t.Errorf("holler version: exit %d, output %q", code, out)
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}} {
		if out, code := holler(args...); code != 0 {
			t.Errorf("holler %s: exit %d (%q)", strings.Join(args, " "), code, out)
		}
	}
	if _, code := holler("frobnicate"); code != 1 {
		t.Errorf("holler frobnicate: exit %d, want 1", code)
	}

	// The running server says which build it is.
	addr := testserver.FreeAddr(t)
	srv := exec.Command(bin)
	srv.Env = []string{"HOLLER_DATA_DIR=" + data, "HOLLER_ADDR=" + addr, "HOLLER_LOG_FORMAT=json"}
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server exit after SIGTERM: %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = srv.Process.Kill()
			t.Error("server did not stop within 30 s of SIGTERM")
		}
	}()
	var health struct{ Status, Version string }
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
				t.Fatalf("/healthz: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer within 60 s: %v", err)
		}
	}
	if health.Status != "ok" || health.Version != version {
		t.Errorf("/healthz %+v, want version %s", health, version)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	if want := `holler_build_info{go_version="` + runtime.Version() + `",revision=`; !strings.Contains(string(text), want) ||
		!strings.Contains(string(text), `version="`+version+`"} 1`) {
		t.Errorf("metrics lack holler_build_info for %s:\n%s", version, grepLines(string(text), "holler_build_info"))
	}
}

func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
