package status

import "strings"

// permanentPullError reports whether an image pull error, as kubelet
// writes it into the container's waiting message (the container runtime's
// error, possibly behind "Back-off pulling image …: ErrImagePull: "), says
// the pull cannot succeed on a retry: the image or tag does not exist, or
// the registry refuses the credentials. A rate limit, a timeout or a server
// error is transient even when its text also matches one of those words,
// so those are checked first. The phrases are containerd's and CRI-O's
// (via the distribution registry's error codes) and the HTTP status lines
// their clients print.
func permanentPullError(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range transientPullPhrases {
		if strings.Contains(m, s) {
			return false
		}
	}
	for _, s := range permanentPullPhrases {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

var transientPullPhrases = []string{
	"429", "too many requests", "toomanyrequests", "rate limit",
	"timeout", "timed out", "deadline exceeded", "temporarily unavailable",
	"connection reset", "connection refused", "broken pipe", "unexpected eof",
	"500 internal server error", "502 bad gateway", "503 service unavailable", "504 gateway timeout",
	"code = unavailable", "registry is unavailable",
}

var permanentPullPhrases = []string{
	": not found", "code = notfound", "manifest unknown", "name unknown",
	"repository does not exist", "pull access denied", "access denied", "denied:",
	"unauthorized", "401 unauthorized", "403 forbidden", "insufficient_scope",
	"authentication required", "code = permissiondenied", "code = unauthenticated",
	"no match for platform in manifest", "no matching manifest",
}
