package app_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestGracefulStopClosesSockets: stopping the server closes an open staff
// socket with 1001 "going away" (so the dashboard reconnects, elsewhere or
// after the restart) instead of dropping the TCP connection, and the
// server's Serve returns instead of waiting on the hijacked connection.
func TestGracefulStopClosesSockets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		token := s.AdminToken(t)
		conn, _, err := s.DialSocket("/api/v1/ws", token, "", nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer conn.Close()

		// The reader sees whatever ends the socket.
		closed := make(chan error, 1)
		go func() {
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					closed <- err
					return
				}
			}
		}()

		// Stop waits for Serve to return; it must do so within the grace
		// period although a hijacked socket is open. The bound is the
		// configured grace plus slack, not a performance target.
		stopped := make(chan struct{})
		go func() { s.Stop(t); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(s.Config.ShutdownGrace + 5*time.Second):
			t.Fatalf("Stop did not return within the %v grace period", s.Config.ShutdownGrace)
		}

		select {
		case err := <-closed:
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("socket ended with %v, want close code 1001 (going away)", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the socket was not closed by the stop")
		}

		// And the server is really gone.
		if _, err := http.Get(s.URL + "/healthz"); err == nil {
			t.Error("the server still answers after Stop")
		}
	})
}
