package litefuse_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
	openai "github.com/sashabaranov/go-openai"
)

// Issue 18, through the public API and the environment only: each case
// runs in a child process (the default pipeline is read from the
// environment once per process) and prints what it saw; the parent starts
// the servers and checks what arrived.

const (
	tenantBPublic = "pk-lf-tenant-b"
	tenantBSecret = "sk-lf-tenant-b-secret"
)

func childLine(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, prefix); i >= 0 {
			return strings.TrimSpace(l[i+len(prefix):])
		}
	}
	t.Fatalf("no %q line in the child's output:\n%s", prefix, out)
	return ""
}

func lifecycleEnv(ark *fakeark.Server, recv *otlpreceiver.Receiver, extra ...string) []string {
	return append([]string{"FAKE_ARK_URL=" + ark.BaseURL(),
		"LANGFUSE_PUBLIC_KEY=" + testPublicKey, "LANGFUSE_SECRET_KEY=" + testSecretKey,
		"LANGFUSE_BASE_URL=" + recv.BaseURL()}, extra...)
}

// TestLifecycleChild is the child side; it does nothing in a normal run.
func TestLifecycleChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("runs only as a child of the issue 18 tests")
	}
	cfg := openai.DefaultConfig(testArkKey)
	cfg.BaseURL = os.Getenv("FAKE_ARK_URL")
	ctx10 := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	stats := func() {
		st := litefuse.ReadStats()
		t.Logf("STATS ended=%d exported=%d failed=%d dropped=%d queued=%d media=%d/%d/%d",
			st.Ended, st.Exported, st.Failed, st.Dropped, st.Queued, st.MediaUploaded, st.MediaFailed, st.MediaDropped)
	}
	switch name {
	case "large": // row 1: a 400 KB prompt, then Shutdown
		client := litefuse.NewClientWithConfig(cfg)
		req := seedRequest()
		req.Messages[1].Content = strings.Repeat("a long prompt ", 400<<10/14)
		if _, err := client.CreateChatCompletion(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		t.Logf("SHUTDOWN %v", litefuse.Shutdown(ctx10()))
		stats()
	case "vision": // row 2: a 4 MB image, then Flush, then exit
		client := litefuse.NewClientWithConfig(cfg)
		img := newImage("image/png", strings.Repeat("\x89PNG big image ", 4<<20/15))
		if _, err := client.CreateChatCompletion(context.Background(), visionRequest(img.uri)); err != nil {
			t.Fatal(err)
		}
		t.Logf("FLUSH %v", litefuse.Flush(ctx10()))
		stats()
		t.Logf("IMAGE %s", img.id)
	case "twice": // row 3: a second Shutdown while the first exports
		for i := range 40 {
			_, _ = litefuse.Observe(context.Background(), "step "+strconv.Itoa(i), func(context.Context) (int, error) { return i, nil })
		}
		first := make(chan error, 1)
		go func() { first <- litefuse.Shutdown(ctx10()) }()
		time.Sleep(300 * time.Millisecond)
		short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := litefuse.Shutdown(short)
		cancel()
		t.Logf("THIRD %v after %dms", err != nil, time.Since(start).Milliseconds())
		start = time.Now()
		err = litefuse.Shutdown(ctx10())
		t.Logf("SECOND %v after %dms", err, time.Since(start).Milliseconds())
		stats()
		t.Logf("FIRST %v", <-first)
	case "tenants": // row 4: tenant B's client while the default serves A
		if err := litefuse.Init(); err != nil {
			t.Fatal(err)
		}
		b := []litefuse.Option{litefuse.WithCredentials(tenantBPublic, tenantBSecret), litefuse.WithBaseURL(os.Getenv("TENANT_B_URL"))}
		client := litefuse.NewClientWithConfig(cfg, b...)
		img := newImage("image/png", "tenant B's image")
		_, err := litefuse.Observe(context.Background(), "tenant b", func(ctx context.Context) (int, error) {
			if _, err := client.CreateChatCompletion(ctx, visionRequest(img.uri)); err != nil {
				return 0, err
			}
			return 0, litefuse.ScoreCurrentTrace(ctx, litefuse.Score{Name: "quality", Value: 1})
		}, litefuse.WithObserveOptions(b...))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("FLUSH %v", litefuse.Flush(ctx10()))
		t.Logf("IMAGE %s", img.id)
	case "privateca", "privateca-client": // row 5
		if name == "privateca-client" {
			pemBytes, err := os.ReadFile(os.Getenv("TEST_CA_PEM"))
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pemBytes)
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig.RootCAs = pool
			if err := litefuse.Init(litefuse.WithHTTPClient(&http.Client{Transport: tr})); err != nil {
				t.Fatal(err)
			}
		}
		ctx := ctx10()
		t.Logf("AUTHCHECK %v", litefuse.AuthCheck(ctx))
		p, err := litefuse.GetPrompt(ctx, "greeting")
		t.Logf("PROMPT %v %v", p != nil && !p.Fallback, err)
		u, err := litefuse.TraceURL(ctx, strings.Repeat("ab", 16))
		t.Logf("TRACEURL %v %v", u != "", err)
		client := litefuse.NewClientWithConfig(cfg)
		img := newImage("image/png", "an image behind a private CA")
		if _, err := client.CreateChatCompletion(ctx, visionRequest(img.uri)); err != nil {
			t.Fatal(err)
		}
		t.Logf("SCORE %v", litefuse.CreateScore(ctx, litefuse.Score{Name: "q", Value: 1, TraceID: strings.Repeat("ab", 16)}))
		t.Logf("FLUSH %v", litefuse.Flush(ctx))
		stats()
		st := litefuse.ReadStats()
		t.Logf("SCORES sent=%d failed=%d", st.ScoresSent, st.ScoresFailed)
	case "conns": // row 6: traffic of every kind, then Shutdown
		recv := otlpreceiver.New()
		defer recv.Close()
		recv.PutPrompt(otlpreceiver.Prompt{Name: "greeting", Version: 1, Text: "Hello {{name}}", Labels: []string{"production"}})
		os.Setenv("LANGFUSE_PUBLIC_KEY", testPublicKey)
		os.Setenv("LANGFUSE_SECRET_KEY", testSecretKey)
		os.Setenv("LANGFUSE_BASE_URL", recv.BaseURL())
		ctx := ctx10()
		client := litefuse.NewClientWithConfig(cfg)
		img := newImage("image/png", "an image to upload")
		if _, err := client.CreateChatCompletion(ctx, visionRequest(img.uri)); err != nil {
			t.Fatal(err)
		}
		_ = litefuse.AuthCheck(ctx)
		_, _ = litefuse.GetPrompt(ctx, "greeting")
		_ = litefuse.CreateScore(ctx, litefuse.Score{Name: "q", Value: 1, TraceID: strings.Repeat("ab", 16)})
		t.Logf("FLUSH %v", litefuse.Flush(ctx))
		t.Logf("SHUTDOWN %v", litefuse.Shutdown(ctx))
		deadline := time.Now().Add(2 * time.Second)
		for recv.Conns() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("CONNS %d uploads=%d", recv.Conns(), len(recv.Uploads()))
	case "sampling": // row 7
		half := litefuse.NewClientWithConfig(cfg, litefuse.WithSampleRate(0.5))
		all := litefuse.NewClientWithConfig(cfg)
		for i := range 300 {
			// A: the root at the pipeline's rate 1, the generation by a client at 0.5.
			_, _ = litefuse.Observe(context.Background(), "root-a", func(ctx context.Context) (int, error) {
				_, err := half.CreateChatCompletion(ctx, seedRequest())
				return i, err
			})
			// B: the root at 0.5, the generation by a client at the pipeline's rate.
			_, _ = litefuse.Observe(context.Background(), "root-b", func(ctx context.Context) (int, error) {
				_, err := all.CreateChatCompletion(ctx, seedRequest())
				return i, err
			}, litefuse.WithObserveOptions(litefuse.WithSampleRate(0.5)))
		}
		t.Logf("FLUSH %v", litefuse.Flush(ctx10()))
	case "perrequest": // row 11: a client per request with the same settings
		recv := otlpreceiver.New()
		defer recv.Close()
		os.Setenv("LANGFUSE_PUBLIC_KEY", testPublicKey)
		os.Setenv("LANGFUSE_SECRET_KEY", testSecretKey)
		os.Setenv("LANGFUSE_BASE_URL", recv.BaseURL())
		if err := litefuse.Init(litefuse.WithFlushInterval(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		before := runtime.NumGoroutine()
		for range 300 {
			c := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials(tenantBPublic, tenantBSecret),
				litefuse.WithBaseURL(recv.BaseURL()), litefuse.WithFlushInterval(20*time.Millisecond))
			if _, err := c.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond)
		t.Logf("GOROUTINES %d", runtime.NumGoroutine()-before)
		t.Logf("CONNS %d", recv.Conns())
		t.Logf("FLUSH %v", litefuse.Flush(ctx10()))
		t.Logf("SPANS %d", len(recv.Spans()))
	case "envperclient": // bad variables, clients with pipelines of their own, then the default one
		other := otlpreceiver.New()
		defer other.Close()
		for range 3 {
			own := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials(tenantBPublic, tenantBSecret), litefuse.WithBaseURL(other.BaseURL()))
			if _, err := own.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
				t.Fatal(err)
			}
		}
		if os.Getenv("ALSO_DEFAULT") != "" {
			if _, err := litefuse.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(), seedRequest()); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("FLUSH %v", litefuse.Flush(ctx10()))
	case "statsall": // ReadStats counts every pipeline: the default one and a client's own
		other := otlpreceiver.New()
		defer other.Close()
		def := litefuse.NewClientWithConfig(cfg)
		own := litefuse.NewClientWithConfig(cfg, litefuse.WithCredentials(tenantBPublic, tenantBSecret), litefuse.WithBaseURL(other.BaseURL()))
		for range 3 {
			if _, err := def.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			if _, err := own.CreateChatCompletion(context.Background(), seedRequest()); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("FLUSH %v", litefuse.Flush(ctx10()))
		t.Logf("OTHER %d", len(other.Spans()))
		stats()
	case "redirect": // row 12
		ctx := ctx10()
		client := litefuse.NewClientWithConfig(cfg)
		if _, err := client.CreateChatCompletion(ctx, seedRequest()); err != nil {
			t.Fatal(err)
		}
		t.Logf("FLUSH1 %v", litefuse.Flush(ctx))
		t.Logf("AUTHCHECK %v", litefuse.AuthCheck(ctx))
		_, err := litefuse.GetPrompt(ctx, "greeting")
		t.Logf("PROMPT %v", err)
		_ = litefuse.CreateScore(ctx, litefuse.Score{Name: "q", Value: 1, TraceID: strings.Repeat("ab", 16)})
		t.Logf("FLUSH2 %v", litefuse.Flush(ctx))
	default:
		t.Fatalf("unknown child %q", name)
	}
}

func runLifecycle(t *testing.T, name string, env ...string) string {
	t.Helper()
	out := runChildTest(t, "TestLifecycleChild", name, env...)
	t.Logf("child %s:\n%s", name, out)
	return out
}

// Row 1: a call whose rendering runs beside the caller (400 KB prompt)
// is waited for by Shutdown, and counted.
func TestShutdownWaitsForLargeCall(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runLifecycle(t, "large", lifecycleEnv(ark, recv)...)
	if got := childLine(t, out, "SHUTDOWN "); got != "<nil>" {
		t.Errorf("Shutdown: %s", got)
	}
	if got := childLine(t, out, "STATS "); !strings.HasPrefix(got, "ended=1 exported=1 ") {
		t.Errorf("stats after Shutdown: %s; want the generation ended and exported", got)
	}
	if spans := recv.Spans(); len(spans) != 1 {
		t.Fatalf("%d spans arrived, want 1", len(spans))
	}
}

// Row 2: Flush waits for a vision call's rendering and its image upload.
func TestFlushWaitsForImageUpload(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runLifecycle(t, "vision", lifecycleEnv(ark, recv)...)
	if got := childLine(t, out, "FLUSH "); got != "<nil>" {
		t.Errorf("Flush: %s", got)
	}
	if got := childLine(t, out, "STATS "); !strings.HasPrefix(got, "ended=1 exported=1 ") || !strings.HasSuffix(got, "media=1/0/0") {
		t.Errorf("stats after Flush: %s; want the span exported and the image uploaded", got)
	}
	id := childLine(t, out, "IMAGE ")
	if u, ok := recv.Uploads()[id]; !ok || len(u.Bytes) < 4<<20-64 {
		t.Errorf("the image was not uploaded before Flush returned (%d bytes)", len(u.Bytes))
	}
	if spans := recv.Spans(); len(spans) != 1 {
		t.Errorf("%d spans arrived before Flush returned, want 1", len(spans))
	}
}

// Row 3: a second Shutdown (a signal handler's and a deferred one) waits
// for the first, within its own ctx.
func TestSecondShutdownWaitsForTheFirst(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.NewWithFault(otlpreceiver.Slow(1500*time.Millisecond))
	defer ark.Close()
	defer recv.Close()
	out := runLifecycle(t, "twice", lifecycleEnv(ark, recv)...)
	if got := childLine(t, out, "SECOND "); !strings.HasPrefix(got, "<nil> after") {
		t.Errorf("second Shutdown: %s", got)
	}
	if got := childLine(t, out, "STATS "); !strings.HasPrefix(got, "ended=40 exported=40 ") {
		t.Errorf("stats when the second Shutdown returned: %s; want all 40 exported", got)
	}
	third := strings.Fields(childLine(t, out, "THIRD "))
	if ms, _ := strconv.Atoi(third[2]); third[0] != "true" || ms > 1000 {
		t.Errorf("a Shutdown with a 100ms ctx while the first sends: error %s after %sms; want its ctx's error by its deadline", third[0], third[2])
	}
}

// Row 4: a client with tenant B's keys records spans, media and scores
// with B's keys at B's Litefuse, never A's.
func TestClientCredentialsCarryMediaAndScores(t *testing.T) {
	ark, a, b := fakeark.New(), otlpreceiver.New(), otlpreceiver.New()
	defer ark.Close()
	defer a.Close()
	defer b.Close()
	a.SetKeys(testPublicKey, testSecretKey)
	b.SetKeys(tenantBPublic, tenantBSecret)
	out := runLifecycle(t, "tenants", lifecycleEnv(ark, a, "TENANT_B_URL="+b.BaseURL())...)
	if got := childLine(t, out, "FLUSH "); got != "<nil>" {
		t.Errorf("Flush: %s", got)
	}
	id := childLine(t, out, "IMAGE ")
	if _, ok := b.Uploads()[id]; !ok {
		t.Errorf("tenant B's image did not reach B's Litefuse")
	}
	if len(a.Uploads()) != 0 || len(a.PlatformRequests("/api/public/media")) != 0 {
		t.Errorf("tenant B's image went to A's Litefuse: %d uploads", len(a.Uploads()))
	}
	if len(b.Scores()) != 1 || len(a.Scores()) != 0 {
		t.Errorf("scores: B got %d, A got %d; want 1 and 0", len(b.Scores()), len(a.Scores()))
	}
	if len(b.Spans()) != 2 || len(a.Spans()) != 0 {
		t.Errorf("spans: B got %d, A got %d; want 2 and 0", len(b.Spans()), len(a.Spans()))
	}
}

// tlsFront serves recv over HTTPS with a test CA written to a PEM file.
func tlsFront(t *testing.T, recv *otlpreceiver.Receiver) (*httptest.Server, string) {
	t.Helper()
	target, _ := url.Parse(recv.BaseURL())
	front := httptest.NewTLSServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }})
	t.Cleanup(front.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw})
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return front, path
}

// Row 5: with a private CA, the REST side works as export does.
func TestPrivateCAServesEveryRequest(t *testing.T) {
	for _, how := range []string{"privateca", "privateca-client"} {
		t.Run(how, func(t *testing.T) {
			ark, recv := fakeark.New(), otlpreceiver.New()
			defer ark.Close()
			defer recv.Close()
			recv.PutPrompt(otlpreceiver.Prompt{Name: "greeting", Version: 1, Text: "Hello", Labels: []string{"production"}})
			front, ca := tlsFront(t, recv)
			env := []string{"FAKE_ARK_URL=" + ark.BaseURL(), "LANGFUSE_PUBLIC_KEY=" + testPublicKey,
				"LANGFUSE_SECRET_KEY=" + testSecretKey, "LANGFUSE_BASE_URL=" + front.URL}
			if how == "privateca" {
				env = append(env, "OTEL_EXPORTER_OTLP_CERTIFICATE="+ca)
			} else {
				env = append(env, "TEST_CA_PEM="+ca)
			}
			out := runLifecycle(t, how, env...)
			for _, want := range []string{"AUTHCHECK <nil>", "PROMPT true <nil>", "TRACEURL true <nil>", "SCORE <nil>", "FLUSH <nil>", "SCORES sent=1 failed=0"} {
				if !strings.Contains(out, want) {
					t.Errorf("want %q in the child's output:\n%s", want, out)
				}
			}
			if got := childLine(t, out, "STATS "); !strings.HasPrefix(got, "ended=1 exported=1 ") || !strings.HasSuffix(got, "media=1/0/0") {
				t.Errorf("stats: %s", got)
			}
			if strings.Contains(out, "x509") {
				t.Errorf("an x509 error:\n%s", out)
			}
		})
	}
}

// Row 6: after Shutdown no connection to Litefuse stays open, whatever
// traffic went there.
func TestShutdownClosesEveryConnection(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	out := runLifecycle(t, "conns", "FAKE_ARK_URL="+ark.BaseURL())
	if got := childLine(t, out, "SHUTDOWN "); got != "<nil>" {
		t.Errorf("Shutdown: %s", got)
	}
	if got := childLine(t, out, "CONNS "); got != "0 uploads=1" {
		t.Errorf("after Shutdown: conns %s; want 0 open (and the image uploaded)", got)
	}
}

// Row 7: a trace is kept or dropped whole, whatever rate each client has.
func TestSampleRateKeepsTracesWhole(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runLifecycle(t, "sampling", lifecycleEnv(ark, recv, "LANGFUSE_FLUSH_AT=100")...)
	if got := childLine(t, out, "FLUSH "); got != "<nil>" {
		t.Errorf("Flush: %s", got)
	}
	traces := map[string][]string{}
	for _, s := range recv.Spans() {
		traces[s.TraceID] = append(traces[s.TraceID], s.Name)
	}
	var a, b, broken int
	for _, names := range traces {
		if len(names) != 2 {
			broken++
			continue
		}
		for _, n := range names {
			switch n {
			case "root-a":
				a++
			case "root-b":
				b++
			}
		}
	}
	if broken > 0 {
		t.Errorf("%d of %d traces arrived split (a root without its generation, or the reverse)", broken, len(traces))
	}
	if a != 300 {
		t.Errorf("%d of 300 traces at the pipeline's rate 1 arrived whole", a)
	}
	if b < 90 || b > 210 {
		t.Errorf("%d of 300 traces rooted at rate 0.5 arrived: want about half", b)
	}
}

// Row 11: clients built per request with the same settings share one
// pipeline: goroutines and connections stay bounded.
func TestClientsWithSameSettingsSharePipeline(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	out := runLifecycle(t, "perrequest", "FAKE_ARK_URL="+ark.BaseURL())
	if n, _ := strconv.Atoi(childLine(t, out, "GOROUTINES ")); n > 20 {
		t.Errorf("300 clients with the same settings left %d more goroutines; want a handful", n)
	}
	if n, _ := strconv.Atoi(childLine(t, out, "CONNS ")); n > 4 {
		t.Errorf("300 clients with the same settings keep %d connections to Litefuse open; want a few", n)
	}
	if got := childLine(t, out, "SPANS "); got != "300" {
		t.Errorf("%s spans arrived, want 300", got)
	}
	if got := childLine(t, out, "FLUSH "); got != "<nil>" {
		t.Errorf("Flush: %s", got)
	}
}

// A bad variable is reported once for the process, whichever pipeline
// reads it first: before, a program whose clients all had pipelines of
// their own never heard of it (review 31, finding 7).
func TestBadEnvReportedOnceWithClientPipelines(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	for _, also := range []string{"", "1"} { // clients' pipelines only; and the default one too
		out := runLifecycle(t, "envperclient", lifecycleEnv(ark, recv, "LANGFUSE_FLUSH_AT=abc", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=deflate", "ALSO_DEFAULT="+also)...)
		if got := childLine(t, out, "FLUSH "); got != "<nil>" {
			t.Errorf("Flush: %s", got)
		}
		for _, v := range []string{`LANGFUSE_FLUSH_AT="abc"`, `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION="deflate"`} {
			if n := strings.Count(out, v); n != 1 {
				t.Errorf("default pipeline used %q: %s warned %d times, want once", also, v, n)
			}
		}
	}
}

// ReadStats counts the spans of every pipeline, the default one's and
// those of clients given their own settings, as it counts every score and
// media upload.
func TestReadStatsCountsEveryPipeline(t *testing.T) {
	ark, recv := fakeark.New(), otlpreceiver.New()
	defer ark.Close()
	defer recv.Close()
	out := runLifecycle(t, "statsall", lifecycleEnv(ark, recv)...)
	if got := childLine(t, out, "FLUSH "); got != "<nil>" {
		t.Errorf("Flush: %s", got)
	}
	if got := childLine(t, out, "OTHER "); got != "5" || len(recv.Spans()) != 3 {
		t.Fatalf("%s spans at the client's own endpoint and %d at the default one, want 5 and 3", got, len(recv.Spans()))
	}
	if got := childLine(t, out, "STATS "); !strings.HasPrefix(got, "ended=8 exported=8 failed=0 dropped=0 queued=0 ") {
		t.Errorf("stats %s; want the 8 spans of both pipelines ended and exported", got)
	}
}

// Row 12: Litefuse redirecting to another port of the same host gets the
// request refused, not the keys.
func TestRedirectToAnotherOriginCarriesNoKeys(t *testing.T) {
	ark := fakeark.New()
	defer ark.Close()
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			mu.Lock()
			leaked = append(leaked, r.Method+" "+r.URL.Path)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	out := runLifecycle(t, "redirect", "FAKE_ARK_URL="+ark.BaseURL(), "LANGFUSE_PUBLIC_KEY="+testPublicKey,
		"LANGFUSE_SECRET_KEY="+testSecretKey, "LANGFUSE_BASE_URL="+redirector.URL)
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("Authorization sent to another origin by %v", leaked)
	}
	if got := childLine(t, out, "FLUSH1 "); !strings.Contains(got, "redirect") {
		t.Errorf("Flush after a refused redirect: %q; want it to say why", got)
	}
	if strings.Contains(out, testSecretKey) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(testPublicKey+":"+testSecretKey))) {
		t.Errorf("a secret in the output:\n%s", out)
	}
}
