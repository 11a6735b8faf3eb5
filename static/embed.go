// Package static embeds the staff dashboard served at / and /static/.
package static

import "embed"

// FS holds the dashboard files: the page, its ES modules, styles and icon.
//
//go:embed *.html *.js *.css *.svg
var FS embed.FS
