package probe

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// FuzzHTTPProbe feeds arbitrary paths, headers and port names through
// Validate, Equivalent and request building: none may panic, a probe is
// equivalent to itself, and a request built with scheme HTTP or HTTPS
// always goes to the target, whatever the path says.
func FuzzHTTPProbe(f *testing.F) {
	f.Add("/readyz", "Host", "app.example.com", "http", "HTTP")
	f.Add("", "Accept", "", "", "HTTPS")
	f.Add("%zz/a?b=c#d", "bad header", "v\r\nx", "Web_Port", "ftp")
	f.Add("http://other.example/x", "User-Agent", "smoke", "metrics", "")
	f.Fuzz(func(t *testing.T, path, hname, hvalue, portName, scheme string) {
		port := intstr.FromInt32(8000)
		if portName != "" {
			port = intstr.FromString(portName)
		}
		p := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: port, Scheme: corev1.URIScheme(scheme),
			HTTPHeaders: []corev1.HTTPHeader{{Name: hname, Value: hvalue}},
		}}}
		for _, k := range []Kind{KindReadiness, KindLiveness, KindStartup} {
			_ = Validate(p, k, nil)
		}
		if !Equivalent(p, p.DeepCopy()) {
			t.Fatalf("probe not equivalent to its copy: %+v", p.HTTPGet)
		}
		tgt := Target{Host: "127.0.0.1", Ports: map[string]int32{portName: 8000}}
		req, err := newHTTPRequest(t.Context(), p.HTTPGet, tgt)
		if err != nil {
			return
		}
		// With any other scheme kubelet builds a URL the client refuses
		// ("unsupported protocol scheme"); Validate rejects those schemes.
		if sch := strings.ToUpper(scheme); sch != "" && sch != "HTTP" && sch != "HTTPS" {
			return
		}
		if req.URL.Host != "127.0.0.1:8000" {
			t.Fatalf("request for path %q goes to %q, want 127.0.0.1:8000", path, req.URL.Host)
		}
	})
}
