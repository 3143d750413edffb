// Command litefuse runs a local Litefuse: it takes the traces the library
// exports (OTLP/HTTP), answers the REST endpoints the library calls
// (prompts, scores, media, projects, health) and Langfuse's read API
// (GET /api/public/v2/observations), and keeps what arrived in a bounded
// store, in memory or in a directory.
//
//	go run github.com/litefuse/litefuse-go/cmd/litefuse@latest
//
// It listens on 127.0.0.1:3000 and prints the LANGFUSE_* lines to paste
// into the shell that runs your program. Any key pair is accepted unless
// -public-key and -secret-key are given; listening beyond loopback requires
// them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/litefuse/litefuse-go/internal/lfserver"
	"github.com/litefuse/litefuse-go/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, errorLine(err))
		os.Exit(2)
	}
}

// errorLine is the line main prints for err: prefixed "litefuse:" once.
func errorLine(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "litefuse") {
		return msg
	}
	return "litefuse: " + msg
}

// writeAdvice says what to do about an error writing the -data directory.
func writeAdvice(err error, dir string) string {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "free space in " + dir + ", then restart"
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EROFS):
		return "make " + dir + " writable by this user, or pass another -data, then restart"
	default:
		return "check " + dir + " (it must be a writable directory on a disk with free space), then restart"
	}
}

type config struct {
	addr, publicKey, secretKey, dataDir string
	allowHosts                          string
	maxBytes                            int64
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("litefuse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:3000", "address to listen on")
	fs.StringVar(&c.publicKey, "public-key", "", "the only public key accepted (default: any key pair is accepted)")
	fs.StringVar(&c.secretKey, "secret-key", "", "the only secret key accepted (with -public-key)")
	fs.StringVar(&c.dataDir, "data", "", "directory that keeps traces across restarts (default: memory only)")
	fs.StringVar(&c.allowHosts, "allow-host", "", "comma-separated Host values to accept besides the listen address, e.g. behind a reverse proxy (default: none)")
	fs.Int64Var(&c.maxBytes, "max-bytes", store.DefaultMaxBytes, "bound on stored data in bytes; the oldest traces are evicted past it")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: every setting is a flag (see -h)", fs.Arg(0))
	}
	if (c.publicKey == "") != (c.secretKey == "") {
		return c, errors.New("-public-key and -secret-key go together: give both, or neither to accept any key pair")
	}
	if c.maxBytes <= 0 {
		return c, fmt.Errorf("-max-bytes %d: give a positive number of bytes, e.g. -max-bytes %d", c.maxBytes, store.DefaultMaxBytes)
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return c, fmt.Errorf("-addr %q: give host:port, e.g. -addr 127.0.0.1:3000", c.addr)
	}
	if !isLoopback(host) && c.publicKey == "" {
		return c, fmt.Errorf("-addr %q listens beyond this machine, where anyone could send or read traces: give -public-key and -secret-key, or listen on 127.0.0.1", c.addr)
	}
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run serves until ctx ends. ready, when set, gets the listen address.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var st *store.Store
	if c.dataDir != "" {
		if st, err = store.Open(c.dataDir, c.maxBytes); err != nil {
			return err
		}
		defer st.Close()
		// A full disk or a write error: said once here, shown in the UI;
		// the server goes on from memory.
		st.OnWriteError(func(err error) {
			fmt.Fprintf(stderr, "%v (%s)\n", err, writeAdvice(err, c.dataDir))
		})
	} else {
		st = store.New(c.maxBytes)
	}
	srv := lfserver.New(st)
	srv.PublicKey, srv.SecretKey = c.publicKey, c.secretKey
	srv.UI = newUI(st)
	for _, h := range strings.Split(c.allowHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			srv.AllowedHosts = append(srv.AllowedHosts, h)
		}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another litefuse running? pick another port with -addr)", c.addr, err)
	}
	// Headers within 10 s, each body within lfserver's BodyTimeout (1 min),
	// idle connections closed after 2 min. No WriteTimeout: the UI's live
	// updates stream.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if ui, ok := srv.UI.(interface{ Close() }); ok {
		hs.RegisterOnShutdown(ui.Close) // the UI's live streams end, so Shutdown does not wait on open browsers
	}
	base := baseURL(ln.Addr().String())
	pk, sk := c.publicKey, c.secretKey
	if pk == "" {
		pk, sk = "pk-lf-local", "sk-lf-local"
	}
	stats := st.Stats()
	fmt.Fprintf(stdout, "Local Litefuse listening on %s (store: %s, bound %d MiB", base, storeKind(c.dataDir), c.maxBytes>>20)
	if stats.Traces > 0 {
		fmt.Fprintf(stdout, ", %d traces loaded", stats.Traces)
		if n := st.Skipped(); n > 0 {
			fmt.Fprintf(stdout, " (%d damaged records skipped)", n)
		}
	}
	fmt.Fprintf(stdout, ").\nPaste into the shell that runs your program:\n\n")
	fmt.Fprintf(stdout, "export LANGFUSE_PUBLIC_KEY=%s LANGFUSE_SECRET_KEY=%s LANGFUSE_BASE_URL=%s\n\n", pk, sk, base)
	fmt.Fprintf(stdout, "Traces: %s/\nRead API: %s%s\nStop with Ctrl-C.\n", base, base, lfserver.ObservationsPath)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	fmt.Fprintln(stdout, "litefuse: stopped")
	return err
}

func storeKind(dir string) string {
	if dir == "" {
		return "memory"
	}
	return dir
}

// baseURL is the URL a program on this machine uses to reach addr.
func baseURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
