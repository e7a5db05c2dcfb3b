package image

import (
	"fmt"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
)

// Process is how a container starts: what Spec's Entrypoint, Cmd and
// User say.
type Process struct {
	Entrypoint, Cmd []string
	User            string
}

// ProcessFrom reads the process of the named container (the first one
// when name is "") of a Deployment, such as the one deploy.Build renders
// from a server preset: the command becomes the entrypoint, the args the
// command, runAsUser (container, else pod) the user. An image built with
// it starts under `docker run` exactly as in the pod.
func ProcessFrom(d *appsv1.Deployment, name string) (Process, error) {
	pod := d.Spec.Template.Spec
	for _, c := range pod.Containers {
		if name != "" && c.Name != name {
			continue
		}
		p := Process{Entrypoint: slices.Clone(c.Command), Cmd: slices.Clone(c.Args)}
		switch {
		case c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil:
			p.User = strconv.FormatInt(*c.SecurityContext.RunAsUser, 10)
		case pod.SecurityContext != nil && pod.SecurityContext.RunAsUser != nil:
			p.User = strconv.FormatInt(*pod.SecurityContext.RunAsUser, 10)
		}
		return p, nil
	}
	return Process{}, fmt.Errorf("image: Deployment %s/%s has no container %q", d.Namespace, d.Name, name)
}

// Apply copies the process into spec.
func (p Process) Apply(spec *Spec) {
	spec.Entrypoint, spec.Cmd = slices.Clone(p.Entrypoint), slices.Clone(p.Cmd)
	if p.User != "" {
		spec.User = p.User
	}
}
