package ofproto

import "sync"

// Handler receives the messages of a connection that are not replies to a
// pending request (PACKET_IN, PORT_STATUS, FLOW_REMOVED, unsolicited
// ERROR, ...). See Conn.Serve for when it runs and how long m stays valid.
type Handler interface {
	ServeOpenFlow(c *Conn, h Header, m Message)
}

// RawHandler is a Handler that may take messages before they are decoded:
// ServeRaw gets each one the connection would give to ServeOpenFlow, as
// the bytes of the whole message (header included, aliasing the read
// buffer: valid during the call only), and reports whether it dealt with
// it; if not, it is decoded and passed to ServeOpenFlow as usual. It lets
// a peer that needs two fields of a frequent message (a benchmark's
// emulated switch counting FLOW_MODs) skip decoding the rest, or decode
// a frequent message into one it reuses (the controller's PACKET_INs).
// Replies to requests and ECHO_REQUESTs never reach it.
type RawHandler interface {
	Handler
	ServeRaw(c *Conn, h Header, frame []byte) bool
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(c *Conn, h Header, m Message)

func (f HandlerFunc) ServeOpenFlow(c *Conn, h Header, m Message) { f(c, h, m) }

// ServeMux routes messages to handlers by type; types without a handler go
// to the default handler (set with HandleDefault), or are dropped.
type ServeMux struct {
	mu       sync.RWMutex
	byType   map[Type]Handler
	fallback Handler
}

// NewServeMux returns an empty mux.
func NewServeMux() *ServeMux { return &ServeMux{byType: make(map[Type]Handler)} }

// Handle routes messages of type t to h, replacing any earlier handler for
// t; a nil h removes the route.
func (mux *ServeMux) Handle(t Type, h Handler) {
	mux.mu.Lock()
	defer mux.mu.Unlock()
	if h == nil {
		delete(mux.byType, t)
		return
	}
	mux.byType[t] = h
}

// HandleFunc routes messages of type t to f.
func (mux *ServeMux) HandleFunc(t Type, f func(c *Conn, h Header, m Message)) {
	mux.Handle(t, HandlerFunc(f))
}

// HandleDefault sets the handler for types without their own (nil drops
// them).
func (mux *ServeMux) HandleDefault(h Handler) {
	mux.mu.Lock()
	defer mux.mu.Unlock()
	mux.fallback = h
}

func (mux *ServeMux) ServeOpenFlow(c *Conn, h Header, m Message) {
	mux.mu.RLock()
	hd, ok := mux.byType[h.Type]
	if !ok {
		hd = mux.fallback
	}
	mux.mu.RUnlock()
	if hd != nil {
		hd.ServeOpenFlow(c, h, m)
	}
}
