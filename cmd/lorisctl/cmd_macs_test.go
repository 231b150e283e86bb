package main

import (
	"strings"
	"testing"
)

func TestMACsTableWithConflicts(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/macs", 200, `{"bindings":[
		{"pod":"blue","mac":"02:00:00:00:aa:01","host":"h1","attachment_id":"a1","port":"lv1","learned":false,"since":"2026-11-25T11:00:00Z"},
		{"pod":"blue","mac":"02:00:00:00:bb:01","host":"h2","attachment_id":"c1","port":"lv2","learned":true,"since":"2026-11-25T11:30:00Z"}],
		"conflicts":[{"pod":"blue","mac":"02:00:00:00:aa:01","host":"h2","attachment_id":"b1","port":"lv3","holder_id":"a1","holder_host":"h1","since":"2026-11-25T11:45:00Z"}]}`)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("macs", "--pod", "blue"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	got := ta.stdout.String()
	for _, want := range []string{
		"POD   MAC                HOST  PORT  KIND     SINCE",
		"blue  02:00:00:00:aa:01  h1    lv1   static   2026-11-25T11:00:00Z",
		"blue  02:00:00:00:bb:01  h2    lv2   learned  2026-11-25T11:30:00Z",
		"Conflicts (refused, dropped on their host):",
		"blue  02:00:00:00:aa:01  h2    lv3   h1 a1    2026-11-25T11:45:00Z",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if q := api.recorded()[0].query; q != "pod=blue" {
		t.Errorf("query %q", q)
	}
	api.reply("GET /v1/macs", 404, `{"error":"pod \"nope\": not found"}`)
	if code := ta.exec("macs", "--pod", "nope"); code == 0 {
		t.Errorf("unknown pod: exit 0")
	}
}

func TestEventsList(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/events", 200, `[{"seq":7,"time":"2026-11-25T11:00:00Z","kind":"conflict","mac":"02:00:00:00:aa:01","message":"refused 02:00:00:00:aa:01 on h2/b1"}]`)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("events", "--after", "6"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	if got, want := ta.stdout.String(), "2026-11-25T11:00:00Z  #7  conflict           refused 02:00:00:00:aa:01 on h2/b1\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if q := api.recorded()[0].query; q != "after=6" {
		t.Errorf("query %q", q)
	}
}

func TestEventsFollowStream(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/events", 200, `{"seq":1,"kind":"switch-connect","message":"a"}`+"\n\n"+`{"seq":2,"kind":"learn","message":"b"}`+"\n")
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("events", "--follow", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	want := `{"seq":1,"kind":"switch-connect","message":"a"}` + "\n" + `{"seq":2,"kind":"learn","message":"b"}` + "\n"
	if got := ta.stdout.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if q := api.recorded()[0].query; q != "follow=true" {
		t.Errorf("query %q", q)
	}
}
