package clients_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each example builds and, with no ARK_API_KEY, runs against its own local
// stand-ins, exits 0 and prints the two generations it recorded.
func TestExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example programs")
	}
	for name, gen := range map[string]string{"openaigo": "openai-go", "arkruntime": "arkruntime"} {
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), name)
			build := exec.Command("go", "build", "-o", bin, "./examples/"+name)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build ./examples/%s: %v\n%s", name, err, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = exampleEnv()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("./examples/%s: %v\n%s", name, err, out)
			}
			for _, want := range []string{"Litefuse stand-in received 2 generations", gen + " chat", gen + " stream", "ttft="} {
				if !strings.Contains(string(out), want) {
					t.Errorf("./examples/%s printed no %q:\n%s", name, want, out)
				}
			}
		})
	}
}

// exampleEnv is the test's environment without Ark or Litefuse settings,
// so the examples take their local stand-ins.
func exampleEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ARK_") || strings.HasPrefix(k, "LANGFUSE_") || strings.HasPrefix(k, "OTEL_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
