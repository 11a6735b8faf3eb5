// Package static embeds the staff dashboard served at /.
package static

import "embed"

// FS holds the dashboard files.
//
//go:embed *
var FS embed.FS
