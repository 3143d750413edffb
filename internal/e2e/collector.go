// Package e2e runs litefuse-go through a real OpenTelemetry Collector built
// from its Go modules: application → Collector (OTLP receiver, memory
// limiter, tail sampling, batch, OTLP/HTTP exporter with the Litefuse
// Basic-auth header) → a local Litefuse stand-in. It is its own module so
// that library users never inherit the Collector's dependencies.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// components are the Collector's parts: exactly those the gateway config uses.
func components() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err, e error
	f.Receivers, e = otelcol.MakeFactoryMap(otlpreceiver.NewFactory())
	err = errors.Join(err, e)
	f.Processors, e = otelcol.MakeFactoryMap(memorylimiterprocessor.NewFactory(), tailsamplingprocessor.NewFactory(), batchprocessor.NewFactory())
	err = errors.Join(err, e)
	f.Exporters, e = otelcol.MakeFactoryMap(otlphttpexporter.NewFactory())
	err = errors.Join(err, e)
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, err
}

// GatewayConfig extracts the gateway's YAML from docs/collector.md: the fenced
// block that starts with "# litefuse-gateway".
func GatewayConfig(readme string) (string, error) {
	b, err := os.ReadFile(readme)
	if err != nil {
		return "", err
	}
	const marker = "```yaml\n# litefuse-gateway"
	i := strings.Index(string(b), marker)
	if i < 0 {
		return "", fmt.Errorf("no %q block in %s", marker, readme)
	}
	rest := string(b)[i+len("```yaml\n"):]
	j := strings.Index(rest, "```")
	if j < 0 {
		return "", fmt.Errorf("unterminated config block in %s", readme)
	}
	return rest[:j], nil
}

// Collector is a running in-process Collector.
type Collector struct {
	col  *otelcol.Collector
	done chan error
}

// StartCollector runs a Collector with the config file at path (its
// ${env:…} references resolved from the environment) and waits until it
// runs.
func StartCollector(ctx context.Context, path string) (*Collector, error) {
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "litefuse-e2e-collector", Description: "e2e", Version: "test"},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"file:" + path},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				DefaultScheme:     "env",
			},
		},
		SkipSettingGRPCLogger: true,
	})
	if err != nil {
		return nil, err
	}
	c := &Collector{col: col, done: make(chan error, 1)}
	go func() { c.done <- col.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-c.done:
			return nil, fmt.Errorf("collector stopped while starting: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			col.Shutdown()
			return nil, errors.New("collector did not start in 30s")
		}
	}
	return c, nil
}

// Stop shuts the Collector down, flushing what it holds.
func (c *Collector) Stop() error {
	c.col.Shutdown()
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("collector did not stop in 30s")
	}
}
