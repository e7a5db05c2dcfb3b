package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// maxRedirects is how many redirects kubelet follows before giving up.
const maxRedirects = 10

func checkHTTP(ctx context.Context, action *corev1.HTTPGetAction, t Target, timeout time.Duration) Result {
	req, err := newHTTPRequest(ctx, action, t)
	if err != nil {
		return Result{Outcome: Unknown, Err: err}
	}
	client := &http.Client{
		Timeout:       timeout,
		Transport:     newTransport(action.Protocol),
		CheckRedirect: sameHostRedirects,
	}
	defer client.CloseIdleConnections()
	return doHTTP(req, client)
}

// newHTTPRequest builds the request as kubelet's NewRequestForHTTPGetAction
// does.
func newHTTPRequest(ctx context.Context, action *corev1.HTTPGetAction, t Target) (*http.Request, error) {
	scheme := strings.ToLower(string(action.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	host, err := t.host(action.Host)
	if err != nil {
		return nil, err
	}
	port, err := t.resolvePort(action.Port)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(action.Path)
	if err != nil {
		// kubelet: "Something is busted with the path, but it's too late to
		// reject it. Pass it along as is."
		u = &url.URL{Path: action.Path}
	}
	u.Scheme = scheme
	u.Host = net.JoinHostPort(host, strconv.Itoa(port))

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("cannot build the httpGet request for %q: %w", u.String(), err)
	}
	headers := make(http.Header)
	for _, h := range action.HTTPHeaders {
		headers.Add(h.Name, h.Value)
	}
	if _, ok := headers["User-Agent"]; !ok {
		headers.Set("User-Agent", UserAgent)
	}
	if _, ok := headers["Accept"]; !ok {
		headers.Set("Accept", "*/*")
	} else if headers.Get("Accept") == "" {
		headers.Del("Accept")
	}
	req.Header = headers
	req.Host = headers.Get("Host")
	return req, nil
}

// newTransport returns a transport configured as kubelet's prober's: no
// keep-alives, no proxy, no compression, no certificate verification, and
// cleartext HTTP/2 (h2c) when the probe asks for protocol HTTP2.
func newTransport(protocol *corev1.HTTPProtocol) *http.Transport {
	if protocol != nil && *protocol == corev1.HTTPProtocolHTTP2 {
		tr := &http.Transport{
			DisableKeepAlives:  true,
			Proxy:              http.ProxyURL(nil),
			DisableCompression: true,
		}
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
		return tr
	}
	return utilnet.SetTransportDefaults(&http.Transport{
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // kubelet does not verify probe certificates.
		DisableKeepAlives:  true,
		Proxy:              http.ProxyURL(nil),
		DisableCompression: true,
	})
}

// sameHostRedirects is kubelet's RedirectChecker(false): follow a redirect
// only while the host name (not the port) stays the same, at most 10 times.
// A redirect to another host is returned unfollowed.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if req.URL.Hostname() != via[0].URL.Hostname() {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// doHTTP mirrors kubelet's DoHTTPProbe, message for message.
func doHTTP(req *http.Request, client *http.Client) Result {
	res, err := client.Do(req)
	if err != nil {
		return Result{Outcome: Failure, Message: err.Error()}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxOutput+1))
	r := Result{StatusCode: res.StatusCode}
	if len(b) > maxOutput {
		b, r.Truncated = b[:maxOutput], true
	} else if err != nil {
		r.Outcome, r.Err = Failure, fmt.Errorf("cannot read the response body from %s: %w", req.URL, err)
		return r
	}
	r.Body = string(b)
	switch {
	case res.StatusCode >= http.StatusOK && res.StatusCode < http.StatusMultipleChoices:
		r.Outcome, r.Message = Success, r.Body
	case res.StatusCode >= http.StatusMultipleChoices && res.StatusCode < http.StatusBadRequest:
		r.Outcome, r.Message = Warning, "Probe terminated redirects, Response body: "+r.Body
	default:
		r.Outcome, r.Message = Failure, fmt.Sprintf("HTTP probe failed with statuscode: %d", res.StatusCode)
	}
	return r
}
