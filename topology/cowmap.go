package topology

import (
	"maps"
	"slices"
)

// cowShards is how many small maps a cowMap is split into, so that a change
// copies about 1/cowShards of it (16 entries of 1,000 hosts or pods).
const cowShards = 64

// cowMap is a map keyed by host or pod name that the model shares with its
// snapshots. A snapshot keeps the shards it was given; the model's first
// write to a shard after that snapshot copies the shard (and the array of
// shards), so what a snapshot holds is never written again.
type cowMap[V any] struct {
	shards   shardedMap[V]
	gen      uint64            // epoch that built the shards array
	shardGen [cowShards]uint64 // epoch that built each shard
}

// shardedMap is the read-only form a snapshot holds; nil is empty.
type shardedMap[V any] []map[string]V

func shardOf(k string) int {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return int(h % cowShards)
}

func (s shardedMap[V]) get(k string) V {
	if s == nil {
		var zero V
		return zero
	}
	return s[shardOf(k)][k]
}

// each calls f for every entry, in no particular order.
func (s shardedMap[V]) each(f func(string, V)) {
	for _, shard := range s {
		for k, v := range shard {
			f(k, v)
		}
	}
}

func (c *cowMap[V]) get(k string) V { return c.shards.get(k) }

// own returns the shard of k, writable in epoch.
func (c *cowMap[V]) own(k string, epoch uint64) map[string]V {
	if c.gen != epoch {
		if c.shards == nil {
			c.shards = make(shardedMap[V], cowShards)
		} else {
			c.shards = slices.Clone(c.shards)
		}
		c.gen = epoch
	}
	i := shardOf(k)
	if c.shardGen[i] != epoch || c.shards[i] == nil {
		if c.shards[i] = maps.Clone(c.shards[i]); c.shards[i] == nil {
			c.shards[i] = map[string]V{}
		}
		c.shardGen[i] = epoch
	}
	return c.shards[i]
}

func (c *cowMap[V]) set(k string, v V, epoch uint64) { c.own(k, epoch)[k] = v }

func (c *cowMap[V]) delete(k string, epoch uint64) {
	if !c.has(k) {
		return
	}
	delete(c.own(k, epoch), k)
}

func (c *cowMap[V]) has(k string) bool {
	if c.shards == nil {
		return false
	}
	_, ok := c.shards[shardOf(k)][k]
	return ok
}

// shared returns the map for a snapshot, which must not write it.
func (c *cowMap[V]) shared() shardedMap[V] { return c.shards }
