package realtime

import "github.com/gorilla/websocket"

// benchUpgrader is the upgrader the HTTP layer uses, for the hub tests'
// own server.
func benchUpgrader() websocket.Upgrader { return Upgrader() }
