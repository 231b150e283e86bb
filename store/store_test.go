package store

import (
	"errors"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

// sampleState is a small consistent topology with every field set.
func sampleState(t *testing.T) topology.State {
	t.Helper()
	m := topology.New()
	m.SetClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) })
	for i, name := range []string{"h1", "h2"} {
		if _, _, err := m.AddHost(topology.Host{
			Name:       name,
			DatapathID: topology.DatapathID(0xab00 + i),
			TunnelIP:   netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}),
			Tunnel:     topology.TunnelGeneve,
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.AddPod("blue", 0); err != nil {
		t.Fatal(err)
	}
	for _, a := range []topology.Attachment{
		{Host: "h1", Container: "c1", IfName: "eth0", Port: "p1", Pod: "blue", IP: netip.MustParsePrefix("10.244.1.2/24")},
		{Host: "h2", Container: "c2", IfName: "eth0", Port: "p2", IP: netip.MustParsePrefix("10.244.0.2/24"),
			MAC: topology.MAC{0x02, 0, 0, 0, 0, 9}},
	} {
		if _, err := m.Attach(a); err != nil {
			t.Fatal(err)
		}
	}
	return m.State()
}

func putState(tx Tx, s topology.State) error {
	for _, h := range s.Hosts {
		if err := tx.PutHost(h); err != nil {
			return err
		}
	}
	for _, p := range s.Pods {
		if err := tx.PutPod(p); err != nil {
			return err
		}
	}
	for _, a := range s.Attachments {
		if err := tx.PutAttachment(a); err != nil {
			return err
		}
	}
	return nil
}

// backends runs a test against every Store implementation.
func backends(t *testing.T, test func(t *testing.T, s Store)) {
	t.Run("bolt", func(t *testing.T) {
		b, err := OpenBolt(filepath.Join(t.TempDir(), "sub", "loris.db"), BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		test(t, b)
	})
	t.Run("memory", func(t *testing.T) { test(t, NewMemory()) })
}

func TestEmptyLoad(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		got, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Hosts)+len(got.Pods)+len(got.Attachments) != 0 {
			t.Fatalf("fresh store not empty: %+v", got)
		}
	})
}

func TestRoundTrip(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		want := sampleState(t)
		if err := s.Update(func(tx Tx) error { return putState(tx, want) }); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, want)
		}
		if _, err := topology.FromState(got); err != nil {
			t.Fatalf("loaded state does not rebuild a model: %v", err)
		}
	})
}

func TestDeletes(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		st := sampleState(t)
		if err := s.Update(func(tx Tx) error { return putState(tx, st) }); err != nil {
			t.Fatal(err)
		}
		err := s.Update(func(tx Tx) error {
			for _, a := range st.Attachments {
				if err := tx.DeleteAttachment(a.ID); err != nil {
					return err
				}
			}
			if err := tx.DeletePod("blue"); err != nil {
				return err
			}
			if err := tx.DeleteHost("h2"); err != nil {
				return err
			}
			// Deleting what is not there is harmless.
			return tx.DeleteHost("no-such-host")
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Attachments) != 0 || len(got.Hosts) != 1 || got.Hosts[0].Name != "h1" ||
			len(got.Pods) != 1 || got.Pods[0].Name != topology.DefaultPod {
			t.Fatalf("after deletes: %+v", got)
		}
	})
}

func TestUpdateIsAtomic(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		st := sampleState(t)
		if err := s.Update(func(tx Tx) error { return tx.PutHost(st.Hosts[0]) }); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Load()
		boom := errors.New("boom")
		err := s.Update(func(tx Tx) error {
			if err := putState(tx, st); err != nil {
				return err
			}
			if err := tx.DeleteHost(st.Hosts[0].Name); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want the callback's error", err)
		}
		after, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("failed update leaked writes:\nbefore %+v\n after %+v", before, after)
		}
	})
}

func TestRejectsEmptyKeys(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		for name, put := range map[string]func(Tx) error{
			"host":       func(tx Tx) error { return tx.PutHost(topology.Host{}) },
			"pod":        func(tx Tx) error { return tx.PutPod(topology.Pod{VNI: 5}) },
			"attachment": func(tx Tx) error { return tx.PutAttachment(topology.Attachment{Host: "h1"}) },
		} {
			if err := s.Update(put); err == nil {
				t.Errorf("%s with empty key accepted", name)
			}
		}
		got, _ := s.Load()
		if len(got.Hosts)+len(got.Pods)+len(got.Attachments) != 0 {
			t.Fatalf("rejected puts left records: %+v", got)
		}
	})
}

func TestClosed(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(); !errors.Is(err, ErrClosed) {
			t.Errorf("Load after Close: %v, want ErrClosed", err)
		}
		if err := s.Update(func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
			t.Errorf("Update after Close: %v, want ErrClosed", err)
		}
	})
}
