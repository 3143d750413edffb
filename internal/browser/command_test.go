package browser

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects the command's output for the failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLitefuse builds cmd/litefuse, runs it on a free loopback port and
// returns its base URL once it answers. At the end of the test it gets
// SIGINT and must exit within 10s, browser still connected.
func startLitefuse(t *testing.T, args ...string) (baseURL string, output *syncBuffer) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "litefuse")
	build := exec.Command("go", "build", "-o", bin, "github.com/litefuse/litefuse-go/cmd/litefuse")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/litefuse: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	output = &syncBuffer{}
	cmd := exec.Command(bin, append([]string{"-addr", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("litefuse exited with %v after SIGINT; output:\n%s", err, output)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("litefuse still running 10s after SIGINT (a browser's live stream held it?); output:\n%s", output)
		}
	})

	baseURL = "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(baseURL + "/api/public/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("litefuse exited before answering: %v; output:\n%s", err, output)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("litefuse not answering on %s after 30s: %v; output:\n%s", addr, err, output)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 100 && !strings.Contains(output.String(), "LANGFUSE_"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(output.String(), "LANGFUSE_") {
		t.Errorf("litefuse printed no LANGFUSE_ lines to paste; output:\n%s", output)
	}
	return baseURL, output
}
