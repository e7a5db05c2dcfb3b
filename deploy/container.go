package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/pydeploy/pydeploy/probe"
)

// Default resources of a Container added with WithContainer, WithSidecar or
// WithInitContainer: small, but set, since every container is checked for
// requests and a memory limit.
const (
	DefaultContainerCPURequest    = "50m"
	DefaultContainerMemoryRequest = "64Mi"
	DefaultContainerMemoryLimit   = "128Mi"
)

// Container describes a container of the pod other than the app container:
// a main container next to it (App.WithContainer), an init container
// (App.WithInitContainer) or a native sidecar (App.WithSidecar). Like App it
// is a value; With* methods return a modified copy.
//
// A Container gets the app's restricted security context, the shared /tmp
// emptyDir mounted, an ephemeral-storage request and limit of 64Mi / 256Mi
// for its logs and writes (the shared /tmp counts on the app container;
// WithoutEphemeralStorage drops them for every container), and
// DefaultContainerCPURequest / DefaultContainerMemoryRequest /
// DefaultContainerMemoryLimit. An empty image means the app's image (an
// init container running "python manage.py collectstatic", say).
type Container struct {
	name, image   string
	command, args []string
	env           []corev1.EnvVar
	envFrom       []corev1.EnvFromSource
	ports         []Port
	cpuRequest    string
	cpuLimit      string
	memRequest    string
	memLimit      string
	readiness     *probe.Builder
	liveness      *probe.Builder
	startup       *probe.Builder
	mounts        []mount
	security      *corev1.SecurityContext
	pullPolicy    corev1.PullPolicy
}

// NewContainer starts a container named name (a DNS label, unique in the
// pod) running image (empty: the app's image).
func NewContainer(name, image string) Container {
	return Container{name: name, image: image,
		cpuRequest: DefaultContainerCPURequest, memRequest: DefaultContainerMemoryRequest, memLimit: DefaultContainerMemoryLimit}
}

// Name returns the container's name.
func (c Container) Name() string { return c.name }

// WithCommand sets the container command, replacing the image's ENTRYPOINT.
func (c Container) WithCommand(argv ...string) Container { c.command = slices.Clone(argv); return c }

// WithArgs sets the container args, replacing the image's CMD but keeping
// its ENTRYPOINT.
func (c Container) WithArgs(argv ...string) Container { c.args = slices.Clone(argv); return c }

// WithEnv adds a literal environment variable.
func (c Container) WithEnv(name, value string) Container {
	c.env = appendClip(c.env, corev1.EnvVar{Name: name, Value: value})
	return c
}

// WithEnvFromSecret adds a variable read from key of the Secret secret.
func (c Container) WithEnvFromSecret(name, secret, key string) Container {
	c.env = appendClip(c.env, secretEnv(name, secret, key))
	return c
}

// WithEnvFromConfigMap adds a variable read from key of the ConfigMap
// configMap (a generated ConfigMap by its base name).
func (c Container) WithEnvFromConfigMap(name, configMap, key string) Container {
	c.env = appendClip(c.env, configMapEnv(name, configMap, key))
	return c
}

// WithEnvFromField adds a variable from the downward API (e.g.
// "metadata.name").
func (c Container) WithEnvFromField(name, fieldPath string) Container {
	c.env = appendClip(c.env, fieldEnv(name, fieldPath))
	return c
}

// WithEnvFrom adds an envFrom source.
func (c Container) WithEnvFrom(s corev1.EnvFromSource) Container {
	c.envFrom = appendClip(c.envFrom, *s.DeepCopy())
	return c
}

// WithPort declares a named container port, admitted by the NetworkPolicy.
func (c Container) WithPort(name string, port int32) Container {
	c.ports = appendClip(c.ports, Port{Name: name, Port: port})
	return c
}

// WithCPU sets the CPU request (empty: none).
func (c Container) WithCPU(request string) Container { c.cpuRequest = request; return c }

// WithCPULimit sets a CPU limit (default none).
func (c Container) WithCPULimit(limit string) Container { c.cpuLimit = limit; return c }

// WithMemory sets the memory request and limit.
func (c Container) WithMemory(request, limit string) Container {
	c.memRequest, c.memLimit = request, limit
	return c
}

// WithReadiness sets the readiness probe (main containers and sidecars).
func (c Container) WithReadiness(b probe.Builder) Container { c.readiness = &b; return c }

// WithLiveness sets the liveness probe (main containers and sidecars).
func (c Container) WithLiveness(b probe.Builder) Container { c.liveness = &b; return c }

// WithStartup sets the startup probe (main containers and sidecars).
func (c Container) WithStartup(b probe.Builder) Container { c.startup = &b; return c }

// WithConfigMapVolume mounts the ConfigMap configMap read-only at mountPath.
func (c Container) WithConfigMapVolume(configMap, mountPath string) Container {
	c.mounts = appendClip(c.mounts, mount{kind: mountConfigMap, source: configMap, path: mountPath})
	return c
}

// WithSecretVolume mounts the Secret secret read-only at mountPath.
func (c Container) WithSecretVolume(secret, mountPath string) Container {
	c.mounts = appendClip(c.mounts, mount{kind: mountSecret, source: secret, path: mountPath})
	return c
}

// WithSecurityContext replaces the container's security context (default:
// the app container's restricted one); Build still checks the result.
func (c Container) WithSecurityContext(sc *corev1.SecurityContext) Container {
	c.security = sc.DeepCopy()
	return c
}

// WithImagePullPolicy sets imagePullPolicy (default: left to the API).
func (c Container) WithImagePullPolicy(p corev1.PullPolicy) Container { c.pullPolicy = p; return c }

type mountKind int

const (
	mountConfigMap mountKind = iota
	mountSecret
)

// mount is a ConfigMap or Secret volume mounted read-only at path.
type mount struct {
	kind   mountKind
	source string
	path   string
}

// volumeName derives a stable volume name (a DNS label) from the source.
func (m mount) volumeName() string {
	prefix := "config-"
	if m.kind == mountSecret {
		prefix = "secret-"
	}
	n := prefix + m.source
	if len(n) <= 63 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return n[:52] + "-" + hex.EncodeToString(sum[:])[:10]
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}}
}

func configMapEnv(name, configMap, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: configMap}, Key: key}}}
}

func fieldEnv(name, fieldPath string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: fieldPath}}}
}
