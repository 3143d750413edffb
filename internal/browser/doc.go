// Package browser holds the local Litefuse's browser test: the real
// cmd/litefuse, traffic from the library, and Debian's chromium driven by
// chromedp. It is a module of its own so that neither the library nor
// cmd/litefuse inherits chromedp.
//
//	cd internal/browser && go test ./...
//	cd internal/browser && go test -run TestLocalLitefuseInChromium -screenshots ../../docs
package browser
