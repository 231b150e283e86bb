package controller

import (
	"errors"
	"sync"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// flowAdd is the FLOW_MOD that adds a policy flow, translated only when
// it is encoded, through a reused translator. A plan of 100,000 adds, or
// the adds of a learn storm, used to make every FLOW_MOD a tree of
// objects (match fields, instructions, actions) first, only to encode it
// once and drop it.
//
// It holds a pointer to the flow, so it sits in an interface without an
// allocation of its own; the FlowSet it points into must not change
// while the message may still be encoded.
type flowAdd struct{ f *policy.Flow }

// translators lends reusing translators to flowAdd.AppendBody, which runs
// on whichever goroutine queues the message. It is scratch memory, not
// state: each translation starts from a reset translator.
var translators = sync.Pool{New: func() any { return &translator{reuse: true} }}

func (a flowAdd) Type() ofproto.Type { return ofproto.TypeFlowMod }

func (a flowAdd) AppendBody(b []byte) []byte {
	t := translators.Get().(*translator)
	b = t.flowMod(*a.f).AppendBody(b)
	translators.Put(t)
	return b
}

// DecodeBody: a flowAdd is only ever sent; what the switch answers is
// decoded as an ofproto.FlowMod.
func (a flowAdd) DecodeBody([]byte) error {
	return errors.New("controller: a flow add is encode-only")
}

// String describes the flow the message adds, for logs and test failures.
func (a flowAdd) String() string { return "add " + a.f.String() }
