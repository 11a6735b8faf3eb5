// Package buildinfo says which build of Holler is running: `holler version`,
// GET /healthz and the holler_build_info metric all read it from here.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// version is set at link time by release builds:
//
//	go build -ldflags "-X holler/server/internal/buildinfo.version=v1.2.3" ./server
//
// Left empty, Get falls back to what the Go toolchain stamped into the binary.
var version string

// Info describes the running binary.
type Info struct {
	Version   string // the -X version, else the main module's version ("(devel)" when unknown)
	Revision  string // the VCS commit the binary was built from ("" when not stamped)
	Modified  bool   // built from a work tree with uncommitted changes
	GoVersion string
}

// Get reads the build information. It is cheap enough to call per request
// but callers usually keep the result.
func Get() Info {
	info := Info{Version: version, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		// Only binaries built without module support lack build info.
		if info.Version == "" {
			info.Version = "(devel)"
		}
		return info
	}
	if info.Version == "" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		// A test binary's main module has no version.
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}
