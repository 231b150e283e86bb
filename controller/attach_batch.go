package controller

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// maxBatchAttachments bounds one batch: the whole batch is validated and
// written under the controller lock, so an unbounded one would stall
// every other change and MAC learning for as long as it takes.
const maxBatchAttachments = 10_000

// maxBatchBodyBytes fits the largest batch of valid attachments: one with
// every name at its longest and an IPv6 prefix is about 600 bytes even
// indented.
const maxBatchBodyBytes = maxBatchAttachments << 10

// errBatchTooLarge marks a batch over maxBatchAttachments; the API answers
// it with 413 rather than the 400 of other invalid input.
var errBatchTooLarge = fmt.Errorf("at most %d attachments per batch: %w", maxBatchAttachments, topology.ErrInvalid)

// AttachBatch adds attachments all at once: one model change, one store
// transaction and one round per concerned switch, where single calls would
// pay each of those per attachment. It is all-or-nothing: the items are
// attached in order exactly as that many Attach calls would be (so two
// items with the same interface, port, IP or MAC conflict like two calls
// do), and if item k is refused none is kept and the error names k.
func (c *Controller) AttachBatch(as []topology.Attachment) ([]topology.Attachment, error) {
	if len(as) == 0 {
		return nil, fmt.Errorf("attachment batch is empty: %w", topology.ErrInvalid)
	}
	if len(as) > maxBatchAttachments {
		return nil, fmt.Errorf("attachment batch of %d: %w", len(as), errBatchTooLarge)
	}
	out := make([]topology.Attachment, 0, len(as))
	refused := -1
	err := c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		for k, a := range as {
			got, err := m.Attach(a)
			if err != nil {
				refused = k
				c.undoAttached(m, out)
				out = out[:0]
				return nil, fmt.Errorf("attachment %d (%s/%s): %w", k, a.Host, a.Container, err)
			}
			out = append(out, got)
			ch.pod(got.Pod)
		}
		return func(tx store.Tx) error {
			for _, a := range out {
				if err := tx.PutAttachment(a); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	if err != nil {
		if refused >= 0 {
			c.noteAttachRefused(as[refused], err)
		}
		return nil, err
	}
	return out, nil
}

// undoAttached takes back the attachments a refused batch already added,
// newest first. A fresh attachment has learned nothing and nobody can have
// a conflict over its MAC (conflicts are only recorded against a holder),
// so Detach gives back exactly what Attach took: IDs, ports, IPs, MACs.
// Should it fail anyway, the model goes back to the stored state, which
// the batch has not touched (learned MACs not stored yet are dropped with
// it and the switches reconciled to it; traffic learns them again).
// Called with c.mu held (inside update).
func (c *Controller) undoAttached(m *topology.Model, attached []topology.Attachment) {
	for i := len(attached) - 1; i >= 0; i-- {
		if _, err := m.Detach(attached[i].ID); err != nil {
			kickAll(c.reloadAndMarkAll())
			return
		}
	}
}

// attachBatchRequest is the body of POST /v1/attachments/batch and of its
// reply.
type attachBatchRequest struct {
	Attachments []topology.Attachment `json:"attachments"`
}

// handleAttachBatch serves POST /v1/attachments/batch: 201 with every
// attachment as stored, or an error naming the refused item with the
// status a single POST /v1/attachments would have had.
func (c *Controller) handleAttachBatch(w http.ResponseWriter, r *http.Request) {
	as, err := readAttachBatch(http.MaxBytesReader(w, r.Body, maxBatchBodyBytes))
	if err != nil {
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.Is(err, errBatchTooLarge) || errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, code, apiError{Error: "invalid request body: " + err.Error()})
		return
	}
	out, err := c.AttachBatch(as)
	if err != nil {
		if errors.Is(err, errBatchTooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{Error: err.Error()})
			return
		}
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, attachBatchRequest{Attachments: out})
}

// readAttachBatch decodes {"attachments":[...]} one item at a time, so that
// a body of many tiny items is refused at maxBatchAttachments instead of
// being decoded whole first. Unknown fields and trailing data are refused
// like readJSON does.
func readAttachBatch(body io.Reader) ([]topology.Attachment, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var out []topology.Attachment
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key, _ := tok.(string); key != "attachments" {
			return nil, fmt.Errorf("json: unknown field %q", tok)
		}
		if seen {
			return nil, errors.New(`field "attachments" given twice`)
		}
		seen = true
		if err := expectDelim(dec, '['); err != nil {
			return nil, fmt.Errorf(`"attachments": %w`, err)
		}
		for dec.More() {
			if len(out) == maxBatchAttachments {
				return nil, errBatchTooLarge
			}
			var a topology.Attachment
			if err := dec.Decode(&a); err != nil {
				return nil, fmt.Errorf("attachment %d: %w", len(out), err)
			}
			out = append(out, a)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return out, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}
