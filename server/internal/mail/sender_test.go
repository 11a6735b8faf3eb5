package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"holler/server/internal/mail"
)

// TestSender: the client speaks each TLS mode to a real go-smtp server over
// TCP and authenticates with the URL's credentials; it refuses a server
// that does not offer STARTTLS rather than send in clear text; a 5xx is
// permanent and a refused connection is not; and a server that accepts
// the connection but never answers fails after the timeout instead of
// hanging.
func TestSender(t *testing.T) {
	cert, pool := selfSigned(t)
	msg := []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n")

	for _, mode := range []string{mail.TLSStartTLS, mail.TLSImplicit, mail.TLSNone} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t, mode, cert)
			cfg, err := mail.ParseURL("smtp://holler:s3cret@" + srv.addr + "?tls=" + mode + "&timeout=5s")
			if err != nil {
				t.Fatal(err)
			}
			s := mail.NewSender(cfg)
			s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
			if err := s.Send(context.Background(), "a@example.com", []string{"b@example.com"}, msg); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := srv.received()
			if len(got) != 1 || !strings.Contains(got[0].data, "hello") || got[0].user != "holler" || got[0].tls != (mode != mail.TLSNone) {
				t.Fatalf("received %+v", got)
			}

			bad, _ := mail.ParseURL("smtp://holler:wrong@" + srv.addr + "?tls=" + mode + "&timeout=5s")
			s = mail.NewSender(bad)
			s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
			if err := s.Send(context.Background(), "a@example.com", []string{"b@example.com"}, msg); !mail.IsPermanent(err) {
				t.Errorf("wrong password: %v, want a permanent error", err)
			}
			srv.mu.Lock()
			srv.reject = true
			srv.mu.Unlock()
			s = mail.NewSender(cfg)
			s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
			if err := s.Send(context.Background(), "a@example.com", []string{"b@example.com"}, msg); !mail.IsPermanent(err) {
				t.Errorf("550: %v, want a permanent error", err)
			}
		})
	}

	t.Run("no STARTTLS offered", func(t *testing.T) {
		srv := startServer(t, mail.TLSNone, cert)
		cfg, _ := mail.ParseURL("smtp://holler:s3cret@" + srv.addr + "?tls=starttls&timeout=5s")
		err := mail.NewSender(cfg).Send(context.Background(), "a@example.com", []string{"b@example.com"}, msg)
		if err == nil || len(srv.received()) != 0 {
			t.Fatalf("sent in clear text to a server without STARTTLS (err %v)", err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		cfg, _ := mail.ParseURL("smtp://" + addr + "?timeout=5s")
		err := mail.NewSender(cfg).Send(context.Background(), "a@example.com", []string{"b@example.com"}, msg)
		if err == nil || mail.IsPermanent(err) {
			t.Fatalf("refused connection: %v, want a temporary error", err)
		}
	})

	t.Run("stalled", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		}()
		cfg, _ := mail.ParseURL("smtp://" + ln.Addr().String() + "?timeout=500ms")
		done := make(chan error, 1)
		go func() {
			done <- mail.NewSender(cfg).Send(context.Background(), "a@example.com", []string{"b@example.com"}, msg)
		}()
		select {
		case err := <-done:
			var ne net.Error
			if err == nil || mail.IsPermanent(err) || !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("stalled server: %v, want a timeout", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("Send hung on a server that never answers")
		}
	})
}

type got struct {
	user, data string
	tls        bool
}

type testServer struct {
	addr   string
	mu     sync.Mutex
	msgs   []got
	reject bool
}

func (s *testServer) received() []got {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]got(nil), s.msgs...)
}

func startServer(t *testing.T, mode string, cert tls.Certificate) *testServer {
	t.Helper()
	ts := &testServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &authSession{ts: ts, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var ln net.Listener
	var err error
	switch mode {
	case mail.TLSImplicit:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	case mail.TLSStartTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	default:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

type authSession struct {
	ts   *testServer
	conn *smtp.Conn
	user string
}

func (a *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (a *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "holler" || pass != "s3cret" {
			return smtp.ErrAuthFailed
		}
		a.user = user
		return nil
	}), nil
}
func (a *authSession) Mail(string, *smtp.MailOptions) error {
	if a.user == "" {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (a *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (a *authSession) Reset()                               {}
func (a *authSession) Logout() error                        { return nil }
func (a *authSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	a.ts.mu.Lock()
	defer a.ts.mu.Unlock()
	if a.ts.reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	_, isTLS := a.conn.TLSConnectionState()
	a.ts.msgs = append(a.ts.msgs, got{user: a.user, data: string(b), tls: isTLS})
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
