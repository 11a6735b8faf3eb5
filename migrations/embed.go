// Package migrations embeds the SQL migrations of both dialects so the
// binary can apply them at start.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
