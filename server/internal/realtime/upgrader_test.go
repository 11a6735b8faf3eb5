package realtime

import (
	"net/http"

	"github.com/gorilla/websocket"
)

// upgradeForTest upgrades as the HTTP layer does, for the hub tests' own
// server.
func upgradeForTest(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	return Upgrade(w, r)
}
