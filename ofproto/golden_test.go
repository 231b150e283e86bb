package ofproto

import (
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var rewriteGolden = flag.Bool("rewrite", false, "rewrite testdata/ofp-print golden files from ovs-ofctl's output")

// TestGoldenOfpPrint has Open vSwitch's own decoder read every sample
// message: OVS printing the expected text (and no decode error) is an
// independent check of the encoder. Golden files are reviewed by hand
// after -rewrite.
func TestGoldenOfpPrint(t *testing.T) {
	ofctl, err := exec.LookPath("ovs-ofctl")
	if err != nil {
		t.Skip("ovs-ofctl not installed: skipping the check against Open vSwitch's decoder")
	}
	for _, s := range codecSamples() {
		t.Run(s.name, func(t *testing.T) {
			b := Append(nil, 0x11223344, s.msg)
			out, err := exec.Command(ofctl, "ofp-print", hex.EncodeToString(b), "4").CombinedOutput()
			if err != nil {
				t.Fatalf("ovs-ofctl ofp-print: %v\n%s", err, out)
			}
			got := dropLogLines(string(out))
			for _, bad := range []string{"decode error", "***"} {
				if strings.Contains(got, bad) && !ovsCannotDecode[s.name] {
					t.Errorf("OVS could not decode the message cleanly (%q):\n%s", bad, got)
				}
			}
			path := filepath.Join("testdata", "ofp-print", s.name+".txt")
			if *rewriteGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./ofproto -run Golden -rewrite)", err)
			}
			if got != string(want) {
				t.Errorf("ovs-ofctl ofp-print differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// ovsCannotDecode names samples OVS is not expected to understand (an
// experimenter it does not know); their golden files record its complaint.
var ovsCannotDecode = map[string]bool{"experimenter": true}

// dropLogLines removes OVS's timestamped log lines, which differ per run.
func dropLogLines(s string) string {
	var keep []string
	for _, line := range strings.SplitAfter(s, "\n") {
		if len(line) > 20 && line[4] == '-' && line[10] == 'T' && strings.Contains(line, "|") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "")
}
