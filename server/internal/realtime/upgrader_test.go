package realtime

import (
	"net/http"

	"github.com/gorilla/websocket"
)

// benchUpgrader is the upgrader the HTTP layer uses, for the hub tests'
// own server.
func benchUpgrader() websocket.Upgrader {
	return websocket.Upgrader{Subprotocols: []string{Subprotocol}, ReadBufferSize: 4096, WriteBufferSize: 4096,
		EnableCompression: true, CheckOrigin: func(*http.Request) bool { return true }}
}
