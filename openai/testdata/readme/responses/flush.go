package main

import (
	"context"
	"time"

	"github.com/litefuse/litefuse-go"
)

// flush sends the buffered spans before the program exits: the one line a
// short-lived traced program adds besides the import.
func flush() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = litefuse.Shutdown(ctx)
}
