package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/lorispack/loris/topology"
)

// SchemaVersion is the record layout this code writes. Files with a higher
// version were written by a newer loris and are refused rather than
// misread.
const SchemaVersion = 1

var (
	bucketMeta        = []byte("meta")
	bucketHosts       = []byte("hosts")
	bucketPods        = []byte("pods")
	bucketAttachments = []byte("attachments")
	bucketLearned     = []byte("learned")
	bucketConflicts   = []byte("conflicts")
	keySchemaVersion  = []byte("schema_version")
)

// DefaultLockTimeout bounds how long OpenBolt waits for another process to
// release the file.
const DefaultLockTimeout = 2 * time.Second

// BoltOptions tunes OpenBolt. The zero value is usable.
type BoltOptions struct {
	// LockTimeout is how long to wait for a file locked by another process;
	// 0 means DefaultLockTimeout. bbolt would otherwise wait forever.
	LockTimeout time.Duration
}

// Bolt is a Store in one bbolt file: JSON records in buckets hosts, pods
// and attachments keyed by name or id, and the schema version in meta.
type Bolt struct {
	db   *bolt.DB
	path string
}

// OpenBolt opens or creates the database at path, creating missing parent
// directories with mode 0700. It fails, without modifying the file, if the
// file is not a loris bbolt database, was written by a newer schema, or is
// locked by another process for longer than opts.LockTimeout.
func OpenBolt(path string, opts BoltOptions) (*Bolt, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	// Vet an existing file read-only first: a read-write open may write to
	// the file (freelist sync) before problems deeper in it show up.
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		if err := checkExisting(path, opts.LockTimeout); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return nil, describeOpenError(path, err)
	}
	if err := db.Update(initSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return &Bolt{db: db, path: path}, nil
}

func checkExisting(path string, lockTimeout time.Duration) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, ReadOnly: true})
	if err != nil {
		return describeOpenError(path, err)
	}
	defer db.Close()
	if err := db.View(checkSchema); err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	return nil
}

func describeOpenError(path string, err error) error {
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("store: database %s is locked by another process (waited for the lock and gave up): %w", path, err)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch):
		return fmt.Errorf("store: %s is not a valid bbolt database (corrupt or another format); left untouched: %w", path, err)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// checkSchema accepts an empty database (initSchema will set it up) or one
// of our schema version at most SchemaVersion.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if hasAnyBucket(tx) {
			return fmt.Errorf("bbolt file has no loris meta bucket: not a loris database")
		}
		return nil
	}
	raw := meta.Get(keySchemaVersion)
	if raw == nil {
		return fmt.Errorf("meta bucket has no schema_version")
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return fmt.Errorf("schema_version %q is not a number", raw)
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this loris understands (%d); upgrade loris", v, SchemaVersion)
	}
	if v < 1 {
		return fmt.Errorf("schema version %d is invalid", v)
	}
	return nil
}

func hasAnyBucket(tx *bolt.Tx) bool {
	found := false
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error {
		found = true
		return nil
	})
	return found
}

func initSchema(tx *bolt.Tx) error {
	if err := checkSchema(tx); err != nil {
		return err
	}
	if tx.Bucket(bucketMeta) == nil {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketHosts, bucketPods, bucketAttachments, bucketLearned, bucketConflicts} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// Path is the database file.
func (b *Bolt) Path() string { return b.path }

func (b *Bolt) Load() (topology.State, error) {
	var s topology.State
	err := b.db.View(func(tx *bolt.Tx) error {
		if err := loadBucket(tx, bucketHosts, &s.Hosts); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketPods, &s.Pods); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketAttachments, &s.Attachments); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketLearned, &s.Learned); err != nil {
			return err
		}
		return loadBucket(tx, bucketConflicts, &s.Conflicts)
	})
	if err != nil {
		return topology.State{}, b.wrap(err)
	}
	sortState(&s)
	return s, nil
}

func loadBucket[T any](tx *bolt.Tx, name []byte, out *[]T) error {
	bucket := tx.Bucket(name)
	if bucket == nil {
		return fmt.Errorf("bucket %s missing", name)
	}
	*out = make([]T, 0, bucket.Stats().KeyN)
	return bucket.ForEach(func(k, v []byte) error {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("record %s/%s: %w", name, k, err)
		}
		*out = append(*out, rec)
		return nil
	})
}

func (b *Bolt) Update(fn func(Tx) error) error {
	err := b.db.Update(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func (b *Bolt) Close() error { return b.db.Close() }

func (b *Bolt) wrap(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return fmt.Errorf("store: %s: %w", b.path, err)
}

type boltTx struct{ tx *bolt.Tx }

func (t *boltTx) put(bucket []byte, key string, rec any) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", bucket, key, err)
	}
	return t.tx.Bucket(bucket).Put([]byte(key), v)
}

func (t *boltTx) del(bucket []byte, key string) error {
	return t.tx.Bucket(bucket).Delete([]byte(key))
}

func (t *boltTx) PutHost(h topology.Host) error {
	k, err := hostKey(h)
	if err != nil {
		return err
	}
	return t.put(bucketHosts, k, h)
}

func (t *boltTx) DeleteHost(name string) error { return t.del(bucketHosts, name) }

func (t *boltTx) PutPod(p topology.Pod) error {
	k, err := podKey(p)
	if err != nil {
		return err
	}
	return t.put(bucketPods, k, p)
}

func (t *boltTx) DeletePod(name string) error { return t.del(bucketPods, name) }

func (t *boltTx) PutAttachment(a topology.Attachment) error {
	k, err := attachmentKey(a)
	if err != nil {
		return err
	}
	return t.put(bucketAttachments, k, a)
}

func (t *boltTx) DeleteAttachment(id string) error {
	for _, name := range [][]byte{bucketLearned, bucketConflicts} {
		if err := t.delPrefix(name, attachmentPrefix(id)); err != nil {
			return err
		}
	}
	return t.del(bucketAttachments, id)
}
