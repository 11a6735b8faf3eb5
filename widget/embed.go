// Package widget embeds the embeddable widget: the loader (widget.js), the
// panel module with its strings (widget-panel.js) and the panel's styles
// (widget.css). Plain files, no build step.
package widget

import "embed"

// FS holds the widget files, served from the root of the server.
//
//go:embed *.js *.css
var FS embed.FS
