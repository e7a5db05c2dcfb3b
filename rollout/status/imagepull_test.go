package status

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestPermanentPullError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg  string
		want bool
	}{
		// containerd 2.x
		{`rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found`, true},
		{`failed to pull and unpack image "ghcr.io/acme/api:v2": failed to resolve reference "ghcr.io/acme/api:v2": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fapi%3Apull&service=ghcr.io: 401 Unauthorized`, true},
		{`failed to pull and unpack image "docker.io/acme/private:1": failed to resolve reference "docker.io/acme/private:1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`, true},
		{`Back-off pulling image "registry.example/api:v2": ErrImagePull: unexpected status from HEAD request to https://registry.example/v2/api/manifests/v2: 403 Forbidden`, true},
		{`failed to pull and unpack image "docker.io/library/python:3.11": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.`, false},
		{`failed to pull and unpack image "registry.example/api:v2": failed to resolve reference: failed to do request: Head "https://registry.example/v2/api/manifests/v2": dial tcp 10.0.0.1:443: i/o timeout`, false},
		{`unexpected status code https://registry.example/v2/api/blobs/sha256:abc: 503 Service Unavailable`, false},
		// CRI-O (containers/image)
		{`reading manifest v9 in quay.io/acme/api: manifest unknown`, true},
		{`initializing source docker://quay.io/acme/api:v2: reading manifest v2 in quay.io/acme/api: unauthorized: access to the requested resource is not authorized`, true},
		{`no matching manifest for linux/arm64 in the manifest list entries`, true},
		// unrecognised: not permanent, so the grace applies
		{`dial tcp: lookup registry.example on 10.96.0.10:53: no such host`, false},
		{``, false},
	}
	for _, tc := range tests {
		assert.Equal(t, permanentPullError(tc.msg), tc.want, tc.msg)
	}
}

func TestPodFailureErrorNamesTheContainerRole(t *testing.T) {
	t.Parallel()
	p := PodFailure{Pod: "api-x", Container: "proxy", InitContainer: true, Sidecar: true, Reason: PodCrashLooping}
	assert.Equal(t, p.Error(), `pod api-x sidecar container "proxy" is crash-looping`)
	p.Sidecar = false
	p.Waiting = "CrashLoopBackOff"
	assert.Equal(t, p.Error(), `pod api-x init container "proxy" is crash-looping (CrashLoopBackOff)`)
	p = PodFailure{Pod: "api-x", Container: "app", Reason: PodCrashLooping, RestartCount: 2, LastTermination: &Termination{ExitCode: 1, Reason: "Error"}}
	assert.Equal(t, p.Error(), `pod api-x container "app" is crash-looping (2 restarts; last exit code 1)`)
}
