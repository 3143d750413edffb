package litefuse

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestOptionsWinOverEnv(t *testing.T) {
	c, _ := loadEnv(lookupFrom(map[string]string{envSampleRate: "0.5", envEnvironment: "staging"}))
	c.apply([]Option{WithSampleRate(0.1), WithEnvironment("prod"), nil})
	if c.sampleRate != 0.1 || c.environment != "prod" {
		t.Errorf("config = %+v", c)
	}
}

// Rows: hostile configuration never panics, spins or silently drops:
// every bad value yields one warning naming the variable and the value,
// and the pipeline runs with a clamped value.
func TestHostileConfigClampedWithOneWarning(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		opts  []Option
		name  string // in the one warning
		check func(c config) bool
	}{
		{env: map[string]string{envFlushAt: "99999999999999"}, name: envFlushAt + "=99999999999999",
			check: func(c config) bool { return c.flushAt == c.maxQueueSize }},
		{env: map[string]string{envFlushAt: "5000"}, name: envFlushAt + "=5000",
			check: func(c config) bool { return c.flushAt == DefaultMaxQueueSize }},
		{opts: []Option{WithMaxQueueSize(1 << 40)}, name: "WithMaxQueueSize=1099511627776",
			check: func(c config) bool { return c.maxQueueSize == maxQueueSizeCap }},
		{opts: []Option{WithFlushAt(-3)}, name: "WithFlushAt=-3",
			check: func(c config) bool { return c.flushAt == DefaultFlushAt }},
		{env: map[string]string{envFlushEvery: "1ns"}, name: envFlushEvery + "=1ns",
			check: func(c config) bool { return c.flushInterval == minFlushInterval }},
		{env: map[string]string{envTimeout: "0.000001"}, name: envTimeout + "=1µs",
			check: func(c config) bool { return c.timeout == minTimeout }},
		{env: map[string]string{envMaxQueueBytes: "100"}, name: envMaxQueueBytes + "=100",
			check: func(c config) bool { return c.maxQueueBytes == minQueueBytes }},
		{env: map[string]string{envMaxQueueBytes: "lots"}, name: envMaxQueueBytes + `="lots"`,
			check: func(c config) bool { return c.maxQueueBytes == DefaultMaxQueueBytes }},
		{env: map[string]string{envSampleRate: "NaN"}, name: envSampleRate + `="NaN"`,
			check: func(c config) bool { return c.sampleRate == 1 }},
		{opts: []Option{WithSampleRate(7)}, name: "WithSampleRate=7",
			check: func(c config) bool { return c.sampleRate == 1 }},
		{env: map[string]string{envServiceName: "svc\xff"}, name: envServiceName,
			check: func(c config) bool { return c.serviceName == "svc\uFFFD" }},
		{env: map[string]string{envRelease: "v1\xc3("}, name: envRelease,
			check: func(c config) bool { return c.release == "v1\uFFFD(" }},
		{env: map[string]string{envEnvironment: "Prod EU"}, name: envEnvironment + `="Prod EU"`,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envEnvironment: "langfuse-internal"}, name: envEnvironment,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envEnvironment: strings.Repeat("a", 41)}, name: envEnvironment,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envEnvironment: "prod\xff"}, name: envEnvironment,
			check: func(c config) bool { return c.environment == "" }},
		{env: map[string]string{envDebug: "loud"}, name: envDebug + `="loud"`,
			check: func(c config) bool { return !c.debug }},
		{env: map[string]string{envEnabled: "maybe"}, name: envEnabled + `="maybe"`,
			check: func(c config) bool { return c.enabled }},
	} {
		env := map[string]string{envPublicKey: "pk", envSecretKey: "sk", envBaseURL: "http://127.0.0.1:1"}
		for k, v := range tc.env {
			env[k] = v
		}
		c, errs := loadEnv(lookupFrom(env))
		c.apply(tc.opts)
		errs = append(errs, c.normalize()...)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.name) || !strings.Contains(errs[0].Error(), "litefuse: ") {
			t.Errorf("%v %v: warnings %v, want one naming %s", tc.env, tc.opts, errs, tc.name)
		}
		if !tc.check(c) {
			t.Errorf("%v %v: not clamped: %+v", tc.env, tc.opts, c)
		}
		// The clamped configuration builds a pipeline (no panic, no
		// out-of-memory) that records.
		c.logger = nopLogger()
		inst, err := newInstance(c)
		if err != nil {
			t.Fatal(err)
		}
		_, s := inst.tracer.Start(context.Background(), "s")
		s.End()
		if st := inst.stats(); st.Ended != 1 && c.sampleRate == 1 {
			t.Errorf("%v: stats %+v", tc.env, st)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_ = inst.shutdown(ctx)
		cancel()
	}
}
