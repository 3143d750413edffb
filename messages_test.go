package litefuse

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

// The messages a new user meets name the exact variable, the value and
// the fix.
func TestMessagesNameTheFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
		not  []string
	}{
		{"only the secret key missing", map[string]string{envPublicKey: "pk-lf-1"},
			[]string{envSecretKey + " is not set"}, []string{envPublicKey + " and"}},
		{"only the public key missing", map[string]string{envSecretKey: "sk-lf-1"},
			[]string{envPublicKey + " is not set"}, []string{envSecretKey + " is not set"}},
		{"LANGFUSE_HOST unusable", map[string]string{envPublicKey: "pk", envSecretKey: "sk", envHost: "ftp://x"},
			[]string{envHost}, []string{envBaseURL}},
		{"base URL without scheme", map[string]string{envPublicKey: "pk", envSecretKey: "sk", envBaseURL: "litefuse.cloud"},
			[]string{envBaseURL, `"litefuse.cloud"`, "did you mean https://litefuse.cloud"}, []string{tracesPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := loadEnv(lookupFrom(tc.env))
			_, err := newInstance(cfg)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("%q names %q", err, n)
				}
			}
		})
	}
}

func TestSwappedKeysWarned(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	var logs bytes.Buffer
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("sk-lf-secret", "pk-lf-public"), WithBaseURL(recv.BaseURL()),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))})
	inst, err := newInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.shutdown(context.Background())
	if !strings.Contains(logs.String(), "look swapped") || strings.Contains(logs.String(), "sk-lf-secret") {
		t.Errorf("want one warning that the keys look swapped, without the key:\n%s", logs.String())
	}
}

// LANGFUSE_DEBUG goes through the application's slog handler (here JSON),
// starts with a line saying where spans go, and says once that Shutdown is
// needed.
func TestDebugThroughTheApplicationsHandler(t *testing.T) {
	recv := otlpreceiver.New()
	defer recv.Close()
	var out bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&out, nil))) // level Info: debug asked for explicitly still shows
	defer slog.SetDefault(prev)
	cfg := defaultConfig()
	cfg.apply([]Option{WithCredentials("pk-lf-1234567890abcdef", "sk-lf-secret"), WithBaseURL(recv.BaseURL()), WithDebug(true)})
	inst, err := newInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	firstSpan.Store(false) // as in a fresh process
	rec := &recorder{}
	rec.once.Do(func() {}) // resolved by hand below
	rec.cfg, rec.tracer, rec.rate = inst.cfg, inst.tracer, -1
	for range 2 {
		_, span := rec.start(context.Background(), "step", 0)
		span.End()
	}
	if err := inst.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not the application's JSON handler: %q", l)
		}
		lines = append(lines, m)
	}
	if len(lines) == 0 || lines[0]["msg"] != "litefuse: tracing on" || !strings.HasSuffix(lines[0]["endpoint"].(string), tracesPath) ||
		lines[0]["public_key"] != "pk-lf-123456…" || lines[0]["sample_rate"] != 1.0 {
		t.Errorf("start-up line = %v", lines)
	}
	n := 0
	for _, l := range lines {
		if strings.Contains(l["msg"].(string), "call litefuse.Shutdown") {
			n++
		}
	}
	if n != 1 || strings.Contains(out.String(), "sk-lf-secret") {
		t.Errorf("want one Shutdown reminder and no secret:\n%s", out.String())
	}
}
