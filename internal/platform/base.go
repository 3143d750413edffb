package platform

import (
	"errors"
	"net/url"
	"strings"
)

// NormalizeBase returns the Litefuse base URL the user wrote, minus a
// trailing slash and minus an OTLP suffix (/api/public/otel, or the full
// traces path), so REST paths and UI links can be appended to it. A path
// prefix (a reverse proxy's /langfuse) is kept. Errors never quote the URL:
// it may hold credentials.
func NormalizeBase(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("the base URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("the base URL must be an absolute http(s) URL such as https://litefuse.cloud")
	}
	if u.User != nil {
		return "", errors.New("the base URL must not hold credentials; set the keys instead")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errors.New("the base URL must not have a query or fragment")
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if i := strings.Index(p, "/api/public/otel"); i >= 0 {
		p = strings.TrimRight(p[:i], "/")
	}
	return u.Scheme + "://" + u.Host + p, nil
}
