package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/lorispack/loris/controller"
)

// securityOptions are the flags that decide who may talk to the controller.
type securityOptions struct {
	openflowCert, openflowKey, openflowCA string
	apiCert, apiKey                       string
	apiTokenFile                          string
	allowInsecureAPI                      bool
}

func (s *securityOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&s.openflowCert, "openflow-tls-cert", "", "PEM certificate for OpenFlow over TLS (switches use ssl:CONTROLLER:PORT)")
	fs.StringVar(&s.openflowKey, "openflow-tls-key", "", "PEM private key of --openflow-tls-cert")
	fs.StringVar(&s.openflowCA, "openflow-tls-ca", "", "PEM CA that switch certificates must be signed by (required with --openflow-tls-cert)")
	fs.StringVar(&s.apiCert, "api-tls-cert", "", "PEM certificate: serve the HTTP API over HTTPS")
	fs.StringVar(&s.apiKey, "api-tls-key", "", "PEM private key of --api-tls-cert")
	fs.StringVar(&s.apiTokenFile, "api-token-file", "", `bearer tokens of the API, lines "admin TOKEN" or "read TOKEN" (file mode 600)`)
	fs.BoolVar(&s.allowInsecureAPI, "allow-insecure-api", false, "allow an API without tokens on a non-loopback address (anyone who reaches it can rewire the network)")
}

// security is what the flags loaded: TLS configurations and tokens.
type security struct {
	openflowTLS *tls.Config
	apiTLS      *tls.Config
	tokens      *controller.Tokens
}

// load checks the flags against each other and reads the files they name.
// An API reachable from other machines without tokens is refused unless
// explicitly allowed, and then announced as loudly as we can.
func (s *securityOptions) load(apiAddr string, log *slog.Logger) (*security, error) {
	var sec security
	var err error
	if s.openflowCert != "" || s.openflowKey != "" || s.openflowCA != "" {
		if s.openflowCA == "" {
			return nil, errors.New("--openflow-tls-ca is required with OpenFlow TLS: without it any switch could connect")
		}
		sec.openflowTLS, err = controller.ServerTLSConfig(controller.TLSFiles{Cert: s.openflowCert, Key: s.openflowKey, ClientCA: s.openflowCA})
		if err != nil {
			return nil, fmt.Errorf("--openflow-tls-*: %w", err)
		}
	}
	if s.apiCert != "" || s.apiKey != "" {
		sec.apiTLS, err = controller.ServerTLSConfig(controller.TLSFiles{Cert: s.apiCert, Key: s.apiKey})
		if err != nil {
			return nil, fmt.Errorf("--api-tls-*: %w", err)
		}
	}
	if s.apiTokenFile != "" {
		sec.tokens, err = controller.LoadTokens(s.apiTokenFile)
		if err != nil {
			return nil, fmt.Errorf("--api-token-file: %w", err)
		}
	}
	loopback, err := controller.IsLoopbackListen(apiAddr)
	if err != nil {
		return nil, fmt.Errorf("--api-addr: %w", err)
	}
	if !loopback && sec.tokens == nil {
		if !s.allowInsecureAPI {
			return nil, fmt.Errorf("--api-addr %s is reachable from other machines and the API has no authentication: "+
				"give --api-token-file, bind to 127.0.0.1, or accept the risk with --allow-insecure-api", apiAddr)
		}
		for range 3 {
			log.Warn("INSECURE: the API accepts changes from anyone who can reach " + apiAddr + " (--allow-insecure-api, no --api-token-file)")
		}
	}
	return &sec, nil
}

// wrapListeners puts TLS on the listeners that have it configured.
func (sec *security) wrapListeners(openflow, api net.Listener) (net.Listener, net.Listener) {
	if sec.openflowTLS != nil {
		openflow = tls.NewListener(openflow, sec.openflowTLS)
	}
	if sec.apiTLS != nil {
		api = tls.NewListener(api, sec.apiTLS)
	}
	return openflow, api
}

// wrapHandler adds token checks when tokens are configured.
func (sec *security) wrapHandler(h http.Handler, log *slog.Logger) http.Handler {
	if sec.tokens == nil {
		return h
	}
	return controller.RequireTokens(sec.tokens, log, h)
}
