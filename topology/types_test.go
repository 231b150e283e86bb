package topology

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseMAC(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want MAC
		ok   bool
	}{
		{"02:00:00:00:00:01", MAC{2, 0, 0, 0, 0, 1}, true},
		{"AA-bb-CC-dd-EE-ff", MAC{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, true},
		{"02:00:00:00:00", MAC{}, false},
		{"02:00:00:00:00:01:02", MAC{}, false},
		{"02:00-00:00:00:01", MAC{}, false},
		{"0g:00:00:00:00:01", MAC{}, false},
		{"020000000001", MAC{}, false},
		{"", MAC{}, false},
	} {
		got, err := ParseMAC(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseMAC(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMAC(%q) error %v does not wrap ErrInvalid", tc.in, err)
		}
	}
}

func TestMACValidateUnicast(t *testing.T) {
	for mac, ok := range map[MAC]bool{
		{2, 0, 0, 0, 0, 1}:                   true,
		{0, 0x1b, 0x21, 0, 0, 1}:             true,
		{}:                                   false,
		{1, 0, 0x5e, 0, 0, 1}:                false,
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}: false,
		{0x33, 0x33, 0, 0, 0, 1}:             false,
	} {
		if err := mac.ValidateUnicast(); (err == nil) != ok {
			t.Errorf("%v.ValidateUnicast() = %v, want ok=%v", mac, err, ok)
		}
	}
}

func TestParseDatapathID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DatapathID
		ok   bool
	}{
		{"000000000000abcd", 0xabcd, true},
		{"0xabcd", 0xabcd, true},
		{"0XFFFFFFFFFFFFFFFF", 0xffffffffffffffff, true},
		{"00:00:00:00:00:00:ab:cd", 0xabcd, true},
		{"abcd", 0, false},
		{"0x", 0, false},
		{"0x10000000000000000", 0, false},
		{"0x-1", 0, false},
		{"00:00:00:00:00:ab:cd", 0, false},
		{"00:00:00:00:00:00:0ab:cd", 0, false},
		{"000000000000abcg", 0, false},
		{"+00000000000abcd", 0, false},
	} {
		got, err := ParseDatapathID(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseDatapathID(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestJSONForms(t *testing.T) {
	h := Host{Name: "h1", DatapathID: 0xabcd, Tunnel: TunnelGRE}
	h.TunnelIP = mustAddr("198.18.0.1")
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"h1","datapath_id":"000000000000abcd","tunnel_ip":"198.18.0.1","tunnel":"gre"}`
	if string(b) != want {
		t.Fatalf("host JSON\n got %s\nwant %s", b, want)
	}
	var back Host
	if err := json.Unmarshal(b, &back); err != nil || back != h {
		t.Fatalf("host JSON round trip: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"datapath_id":"0x1"}`), &back); err != nil || back.DatapathID != 1 {
		t.Fatalf("datapath id 0x1: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"datapath_id":"nope"}`), &back); err == nil {
		t.Fatal("bad datapath id accepted")
	}

	var a Attachment
	if err := json.Unmarshal([]byte(`{"host":"h1","mac":""}`), &a); err != nil || !a.MAC.IsZero() {
		t.Fatalf("empty MAC should decode as zero: %v, %v", a.MAC, err)
	}
	if err := json.Unmarshal([]byte(`{"mac":"02:00:00:00:00:0A"}`), &a); err != nil || a.MAC != (MAC{2, 0, 0, 0, 0, 10}) {
		t.Fatalf("MAC decode: %v, %v", a.MAC, err)
	}
	if b, _ := json.Marshal(a.MAC); string(b) != `"02:00:00:00:00:0a"` {
		t.Fatalf("MAC encodes as %s", b)
	}
	if err := json.Unmarshal([]byte(`{"mac":"zz"}`), &a); err == nil {
		t.Fatal("bad MAC accepted")
	}
}

func TestTunnelTypeValid(t *testing.T) {
	for _, ok := range []TunnelType{TunnelVXLAN, TunnelGRE, TunnelGeneve} {
		if err := ok.Valid(); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []TunnelType{"", "VXLAN", "stt", "ipip"} {
		if err := bad.Valid(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q.Valid() = %v, want ErrInvalid", bad, err)
		}
	}
}
