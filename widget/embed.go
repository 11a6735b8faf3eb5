// Package widget embeds the widget sources served at /widget.js and friends.
package widget

import "embed"

// FS holds the widget files.
//
//go:embed *
var FS embed.FS
