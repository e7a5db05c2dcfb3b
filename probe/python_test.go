package probe

import (
	"net/http/httptest"
	"sigs.k8s.io/yaml"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestPython(t *testing.T) {
	t.Parallel()
	port := intstr.FromString("http")
	httpProbe := func(path string, period, timeout, failures int32, headers ...corev1.HTTPHeader) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: path, Port: port, Scheme: corev1.URISchemeHTTP, HTTPHeaders: headers,
			}},
			PeriodSeconds: period, TimeoutSeconds: timeout, SuccessThreshold: 1, FailureThreshold: failures,
		}
	}
	tests := []struct {
		name string
		o    PythonOptions
		want Set
	}{
		{
			name: "readiness only",
			o:    PythonOptions{ReadinessPath: "/readyz", BootTime: time.Minute},
			want: Set{Readiness: httpProbe("/readyz", 5, 2, 3)},
		},
		{
			name: "full trio",
			o:    PythonOptions{ReadinessPath: "/readyz", LivenessPath: "/livez", BootTime: 2 * time.Minute},
			want: Set{
				Readiness: httpProbe("/readyz", 5, 2, 3),
				Liveness:  httpProbe("/livez", 10, 5, 6),
				Startup:   httpProbe("/livez", 5, 5, 24),
			},
		},
		{
			name: "no boot time, no startup probe",
			o:    PythonOptions{ReadinessPath: "/readyz", LivenessPath: "/livez"},
			want: Set{Readiness: httpProbe("/readyz", 5, 2, 3), Liveness: httpProbe("/livez", 10, 5, 6)},
		},
		{
			name: "host header on every probe",
			o:    PythonOptions{ReadinessPath: "/r", LivenessPath: "/l", BootTime: 7 * time.Second, HostHeader: "app.example.com"},
			want: Set{
				Readiness: httpProbe("/r", 5, 2, 3, corev1.HTTPHeader{Name: "Host", Value: "app.example.com"}),
				Liveness:  httpProbe("/l", 10, 5, 6, corev1.HTTPHeader{Name: "Host", Value: "app.example.com"}),
				Startup:   httpProbe("/l", 5, 5, 2, corev1.HTTPHeader{Name: "Host", Value: "app.example.com"}),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Python(port, tc.o)
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.want)
			assert.Assert(t, len(Validate(got.Readiness, KindReadiness, nil)) == 0)
			assert.Assert(t, len(Validate(got.Liveness, KindLiveness, nil)) == 0)
			assert.Assert(t, len(Validate(got.Startup, KindStartup, nil)) == 0)
			assert.Assert(t, got.Liveness == nil || !Equivalent(got.Readiness, got.Liveness))
		})
	}
}

func TestPythonErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		port intstr.IntOrString
		o    PythonOptions
		want []string
	}{
		{"readiness required", intstr.FromInt32(8000), PythonOptions{}, []string{"probe.readinessPath: Required value"}},
		{"identical paths", intstr.FromInt32(8000), PythonOptions{ReadinessPath: "/health", LivenessPath: "/health"},
			[]string{`probe.livenessPath: Invalid value: "/health": must differ from readinessPath`}},
		{"everything wrong at once", intstr.FromInt32(0), PythonOptions{ReadinessPath: "readyz", LivenessPath: "livez", BootTime: -time.Second, HostHeader: "http://x/", Scheme: "ftp"},
			[]string{
				"probe.port: Invalid value: 0: must be between 1 and 65535",
				`probe.readinessPath: Invalid value: "readyz": must start with "/"`,
				`probe.livenessPath: Invalid value: "livez": must start with "/"`,
				`probe.bootTime: Invalid value: "-1s": must not be negative`,
				`probe.hostHeader: Invalid value: "http://x/": must be a host name or host:port`,
				`probe.scheme: Unsupported value: "ftp"`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Python(tc.port, tc.o)
			assert.DeepEqual(t, s, Set{})
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
			assert.Equal(t, strings.Count(err.Error(), "probe."), len(tc.want), "%v", err)
		})
	}
}

func TestDjango(t *testing.T) {
	t.Parallel()
	s, err := Django(intstr.FromInt32(8000), "app.example.com", PythonOptions{ReadinessPath: "/readyz", HostHeader: "ignored"})
	assert.NilError(t, err)
	assert.DeepEqual(t, s.Readiness.HTTPGet.HTTPHeaders, []corev1.HTTPHeader{{Name: "Host", Value: "app.example.com"}})

	_, err = Django(intstr.FromInt32(8000), "", PythonOptions{ReadinessPath: "/readyz"})
	assert.ErrorContains(t, err, "probe.hostHeader: Required value: Django rejects probes whose Host is not in ALLOWED_HOSTS")
}

// TestDjangoAgainstServer runs the preset against a server that checks
// ALLOWED_HOSTS the way Django does.
func TestDjangoAgainstServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(probeServer(nil))
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)

	plain, err := Python(intstr.FromString("http"), PythonOptions{ReadinessPath: "/django"})
	assert.NilError(t, err)
	r := Check(t.Context(), plain.Readiness, tgt)
	assert.Equal(t, r.Event(KindReadiness), "Readiness probe failed: HTTP probe failed with statuscode: 400")
	assert.Assert(t, strings.Contains(r.Body, "DisallowedHost"))

	django, err := Django(intstr.FromString("http"), "app.example.com", PythonOptions{ReadinessPath: "/django"})
	assert.NilError(t, err)
	r = Check(t.Context(), django.Readiness, tgt)
	assert.Equal(t, r.Outcome, Success, "%+v", r)
}

// TestPythonDeterministic: the same options render the same bytes.
func TestPythonDeterministic(t *testing.T) {
	t.Parallel()
	o := PythonOptions{ReadinessPath: "/readyz", LivenessPath: "/livez", BootTime: time.Minute, HostHeader: "a.example"}
	render := func() []byte {
		s, err := Python(intstr.FromString("http"), o)
		assert.NilError(t, err)
		out, err := yaml.Marshal(s)
		assert.NilError(t, err)
		return out
	}
	first := render()
	for range 5 {
		assert.DeepEqual(t, render(), first)
	}
}
