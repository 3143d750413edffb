package litefuse_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/litefuse/litefuse-go"
	"github.com/litefuse/litefuse-go/internal/fakeark"
)

// TestSecretsNeverLeave scans every byte the library sends to Litefuse and
// every line it logs (debug on) for the Ark API key and the Litefuse secret.
func TestSecretsNeverLeave(t *testing.T) {
	logs := &logBuffer{}
	e := newEnv(t, litefuse.WithDebug(true), litefuse.WithLogger(logs.logger()))
	ctx := context.Background()
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err != nil {
		t.Fatal(err)
	}
	st, err := e.client.CreateChatCompletionStream(ctx, seedRequest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drain(st); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	e.ark.SetReply(fakeark.Reply{Status: http.StatusUnauthorized, ErrorCode: "AuthenticationError", ErrorMsg: "The API key is invalid"})
	if _, err := e.client.CreateChatCompletion(ctx, seedRequest()); err == nil {
		t.Fatal("want an auth error")
	}
	e.spans(t, 3)
	// The server did get the key: the scan below would see it if it leaked.
	if got := e.ark.Requests()[0].Header.Get("Authorization"); got != "Bearer "+testArkKey {
		t.Fatalf("the fake did not receive the key: %q", got)
	}
	for i, r := range e.recv.Requests() {
		for _, secret := range []string{testArkKey, testSecretKey} {
			if bytes.Contains(r.Decoded, []byte(secret)) {
				t.Errorf("export request %d carries %q", i, secret)
			}
		}
		for k, vs := range r.Header {
			if k == "Authorization" {
				continue
			}
			for _, v := range vs {
				if strings.Contains(v, testSecretKey) || strings.Contains(v, testArkKey) {
					t.Errorf("header %s carries a secret", k)
				}
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, "litefuse: exported") {
		t.Fatalf("debug log empty; the scan proves nothing:\n%s", out)
	}
	for _, secret := range []string{testArkKey, testSecretKey, "Basic "} {
		if strings.Contains(out, secret) {
			t.Errorf("debug log carries %q", secret)
		}
	}
}
