package ofproto_test

import (
	"context"
	"errors"
	"log"
	"net"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// A controller's side of one switch connection: handshake, serve
// asynchronous messages, ask for features, program flows and learn which
// ones the switch refused.
func Example_controller() {
	ln, err := net.Listen("tcp", "127.0.0.1:6653")
	if err != nil {
		log.Fatal(err)
	}
	nc, err := ln.Accept()
	if err != nil {
		log.Fatal(err)
	}
	c := ofproto.NewConn(nc, ofproto.ConnOptions{EchoInterval: 5 * time.Second})
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Handshake(ctx); err != nil {
		log.Fatal(err)
	}

	mux := ofproto.NewServeMux()
	mux.HandleFunc(ofproto.TypePortStatus, func(c *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
		ps := m.(*ofproto.PortStatus) // valid only during this call
		log.Printf("port %s changed (reason %d)", ps.Port.Name, ps.Reason)
	})
	go c.Serve(mux)

	_, m, err := c.Request(ctx, &ofproto.FeaturesRequest{})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("datapath %016x", m.(*ofproto.FeaturesReply).DatapathID)

	flow := &ofproto.FlowMod{
		Command: ofproto.FlowModAdd, Priority: 100,
		BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
		Match: ofproto.Match{Fields: []ofproto.OXM{ofproto.InPort(1)}},
		Instructions: []ofproto.Instruction{ofproto.InstructionApplyActions{
			Actions: []ofproto.Action{ofproto.ActionOutput{Port: 2, MaxLen: 0xffff}},
		}},
	}
	err = c.Apply(ctx, []ofproto.Message{flow})
	var be *ofproto.BatchError
	if errors.As(err, &be) {
		for _, f := range be.Failures {
			log.Printf("flow %d rejected: %v", f.Index, f.Err)
		}
	} else if err != nil {
		log.Fatal(err)
	}
}
