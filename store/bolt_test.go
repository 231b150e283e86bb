package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// holdLockEnv makes the test binary act as a second process that opens the
// database named by the variable, says "locked" and holds it until its stdin
// closes (or a safety timeout passes).
const holdLockEnv = "LORIS_STORE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdLockEnv); path != "" {
		os.Exit(holdLock(path))
	}
	os.Exit(m.Run())
}

func holdLock(path string) int {
	b, err := OpenBolt(path, BoltOptions{})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer b.Close()
	fmt.Println("locked")
	released := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(released)
	}()
	select {
	case <-released:
	case <-time.After(60 * time.Second):
	}
	return 0
}

func TestBoltReopenPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "loris.db")
	b, err := OpenBolt(path, BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := sampleState(t)
	if err := b.Update(func(tx Tx) error { return putState(tx, want) }); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("created directory has mode %o, want 700", perm)
	}

	b, err = OpenBolt(path, BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", got, want)
	}
}

func TestBoltLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loris.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})

	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		if line != "locked" {
			t.Fatalf("helper process: %q", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("helper process did not take the lock within 20s")
	}

	const timeout = 300 * time.Millisecond
	start := time.Now()
	b, err := OpenBolt(path, BoltOptions{LockTimeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		b.Close()
		t.Fatal("opened a database locked by another process")
	}
	if want := fmt.Sprintf("database %s is locked by another process", path); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	// bbolt polls the lock every 50ms and may give up one poll early.
	if elapsed < timeout/2 || elapsed > timeout+5*time.Second {
		t.Fatalf("gave up after %v, want about %v", elapsed, timeout)
	}

	// Once the other process lets go, the database opens.
	stdin.Close()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("helper process: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("helper process did not exit within 10s")
	}
	b, err = OpenBolt(path, BoltOptions{LockTimeout: timeout})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Close()
	exited <- nil // for the cleanup
}

func TestBoltRefusesBadFiles(t *testing.T) {
	futureSchema := func(t *testing.T, path string) {
		b, err := OpenBolt(path, BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = b.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("99"))
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
	foreignBolt := func(t *testing.T, path string) {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("someone-else"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	writeBytes := func(b []byte) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	corruptMeta := func(t *testing.T, path string) {
		b, err := OpenBolt(path, BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Flip bytes inside both meta pages (page 0 and page 1) so their
		// checksums fail.
		page := os.Getpagesize()
		for _, off := range []int{40, page + 40} {
			raw[off] ^= 0xff
		}
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name    string
		prepare func(*testing.T, string)
		want    string
	}{
		{"text file", writeBytes([]byte("this is not a database\n")), ""},
		{"random page", writeBytes(bytes.Repeat([]byte{0x5a}, 3*os.Getpagesize())), "not a valid bbolt database"},
		{"corrupt meta pages", corruptMeta, "not a valid bbolt database"},
		{"future schema", futureSchema, "newer than this loris understands"},
		{"foreign bolt file", foreignBolt, "not a loris database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "loris.db")
			tc.prepare(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := OpenBolt(path, BoltOptions{LockTimeout: 200 * time.Millisecond})
			if err == nil {
				b.Close()
				t.Fatal("opened a bad file")
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q should name the file and say %q", err, tc.want)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("file was modified by the failed open")
			}
		})
	}
}
