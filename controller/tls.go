package controller

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// TLSFiles names the PEM files of one TLS endpoint.
type TLSFiles struct {
	Cert, Key string
	// ClientCA, when set, makes the endpoint demand a client certificate
	// signed by this CA and refuse every peer without one.
	ClientCA string
}

// ServerTLSConfig loads a server certificate and, with ClientCA, the CA
// that client certificates must chain to.
func ServerTLSConfig(f TLSFiles) (*tls.Config, error) {
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s / key %s: %w", f.Cert, f.Key, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.ClientCA != "" {
		pool, err := LoadCertPool(f.ClientCA)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// LoadCertPool reads PEM CA certificates from a file.
func LoadCertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// tlsHandshakeTimeout bounds a switch's TLS handshake so that a peer that
// connects and stays silent cannot hold a goroutine.
const tlsHandshakeTimeout = 10 * time.Second

// tlsHandshake completes the TLS handshake of a switch connection that
// came through a TLS listener; plain connections pass unchanged. Doing it
// here rather than lazily on the first read lets a refused certificate be
// logged as what it is.
func tlsHandshake(ctx context.Context, nc net.Conn) error {
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return err
	}
	return nil
}
