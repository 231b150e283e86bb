package topology

import (
	"slices"
	"sort"
	"strings"
)

// record is one attachment with what it learned and was refused. Records
// are immutable once a snapshot may hold them: a change builds a new record
// and puts it in place of the old one.
type record struct {
	Attachment
	learned   []Binding  // sorted by MAC
	conflicts []Conflict // sorted by MAC
}

// hasLearned reports whether the attachment learned mac.
func (r *record) hasLearned(mac MAC) bool {
	for i := range r.learned {
		if r.learned[i].MAC == mac {
			return true
		}
	}
	return false
}

func (r *record) with(learned []Binding, conflicts []Conflict) *record {
	return &record{Attachment: r.Attachment, learned: learned, conflicts: conflicts}
}

// Chunks of an idList hold between 1 and chunkMax records. A change copies
// one chunk and the list's array of chunk pointers, so at 100,000 records it
// copies about chunkMax + 100,000/(chunkMax/2) pointers instead of all
// records.
const chunkMax = 128

// idList is a persistent list of records sorted by attachment id, split in
// chunks. Lists and chunks are shared with snapshots: whatever was built
// before the model's current epoch is read-only, and put/remove copy it
// before changing it. Whatever carries the current epoch was built since
// the last snapshot, so no snapshot can see it and it is changed in place,
// which keeps bulk loading (FromState) linear in chunk size, not quadratic
// in list size.
type idList struct {
	gen    uint64 // epoch that built chunks
	chunks []*chunk
	n      int
}

type chunk struct {
	gen  uint64 // epoch that built recs
	recs []*record
}

func (l idList) Len() int { return l.n }

// locate returns the chunk that holds id or where it belongs, the index in
// that chunk, and whether id is there.
func (l idList) locate(id string) (ci, i int, found bool) {
	// Loading sorted state appends: skip the searches.
	last := l.chunks[len(l.chunks)-1].recs
	if last[len(last)-1].ID < id {
		return len(l.chunks) - 1, len(last), false
	}
	ci = sort.Search(len(l.chunks), func(c int) bool {
		recs := l.chunks[c].recs
		return recs[len(recs)-1].ID >= id
	})
	if ci == len(l.chunks) {
		ci--
	}
	recs := l.chunks[ci].recs
	i, found = slices.BinarySearchFunc(recs, id, func(r *record, id string) int { return strings.Compare(r.ID, id) })
	return ci, i, found
}

func (l idList) get(id string) (*record, bool) {
	if l.n == 0 {
		return nil, false
	}
	ci, i, found := l.locate(id)
	if !found {
		return nil, false
	}
	return l.chunks[ci].recs[i], true
}

// own returns l with a chunk array it may change (built in epoch).
func (l idList) own(epoch uint64) idList {
	if l.gen != epoch {
		l.chunks = slices.Clone(l.chunks)
		l.gen = epoch
	}
	return l
}

// ownChunk makes chunk ci of an owned list changeable in epoch.
func (l idList) ownChunk(ci int, epoch uint64) *chunk {
	c := l.chunks[ci]
	if c.gen != epoch {
		recs := make([]*record, len(c.recs), len(c.recs)+1)
		copy(recs, c.recs)
		c = &chunk{gen: epoch, recs: recs}
		l.chunks[ci] = c
	}
	return c
}

// put returns l with r in place of the record with its id, or added.
func (l idList) put(r *record, epoch uint64) idList {
	if l.n == 0 {
		return idList{gen: epoch, chunks: []*chunk{{gen: epoch, recs: []*record{r}}}, n: 1}
	}
	ci, i, found := l.locate(r.ID)
	l = l.own(epoch)
	c := l.ownChunk(ci, epoch)
	if found {
		c.recs[i] = r
		return l
	}
	c.recs = slices.Insert(c.recs, i, r)
	l.n++
	if len(c.recs) > chunkMax {
		half := len(c.recs) / 2
		lo := &chunk{gen: epoch, recs: slices.Clone(c.recs[:half])}
		hi := &chunk{gen: epoch, recs: slices.Clone(c.recs[half:])}
		l.chunks[ci] = lo
		l.chunks = slices.Insert(l.chunks, ci+1, hi)
	}
	return l
}

// remove returns l without the record with id, and whether it was there.
func (l idList) remove(id string, epoch uint64) (idList, bool) {
	if l.n == 0 {
		return l, false
	}
	ci, i, found := l.locate(id)
	if !found {
		return l, false
	}
	l = l.own(epoch)
	c := l.ownChunk(ci, epoch)
	c.recs = slices.Delete(c.recs, i, i+1)
	l.n--
	switch {
	case len(c.recs) == 0:
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
	case len(c.recs) < chunkMax/4 && ci+1 < len(l.chunks) && len(c.recs)+len(l.chunks[ci+1].recs) <= chunkMax:
		// Merge small neighbours so that deletions cannot leave a long
		// array of tiny chunks.
		merged := &chunk{gen: epoch, recs: slices.Concat(c.recs, l.chunks[ci+1].recs)}
		l.chunks[ci] = merged
		l.chunks = slices.Delete(l.chunks, ci+1, ci+2)
	case len(c.recs) < chunkMax/4 && ci > 0 && len(c.recs)+len(l.chunks[ci-1].recs) <= chunkMax:
		merged := &chunk{gen: epoch, recs: slices.Concat(l.chunks[ci-1].recs, c.recs)}
		l.chunks[ci-1] = merged
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
	}
	if l.n == 0 {
		return idList{}, true
	}
	return l, true
}

// each calls f with every record in id order.
func (l idList) each(f func(*record)) {
	for _, c := range l.chunks {
		for _, r := range c.recs {
			f(r)
		}
	}
}

// any reports whether f holds for a record, calling it in id order until
// it does.
func (l idList) any(f func(*record) bool) bool {
	for _, c := range l.chunks {
		for _, r := range c.recs {
			if f(r) {
				return true
			}
		}
	}
	return false
}

// attachments returns copies of the attachments in id order; never nil.
func (l idList) attachments() []Attachment {
	out := make([]Attachment, 0, l.n)
	l.each(func(r *record) { out = append(out, r.Attachment) })
	return out
}
