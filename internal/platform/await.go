package platform

import "context"

// Await waits until done is closed or ctx ends. It returns nil when done
// is closed, even if ctx has ended too (a select on both would pick at
// random: a finished Shutdown would then report a false deadline), else
// ctx's error.
func Await(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	default:
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
