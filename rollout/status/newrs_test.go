package status

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestFindNewReplicaSet(t *testing.T) {
	t.Parallel()
	stranger := strings.Replace(rs("x", "3", "api:v2", ""), "uid: d-1", "uid: d-other", 1)
	twin := strings.Replace(rs("twin", "2", "api:v2", ""), "09:02:00Z", "09:01:00Z", 1)
	// A Deployment whose template lacks the defaulted imagePullPolicy that
	// its ReplicaSet carries: only the revision can tie them.
	bare := strings.Replace(rs("def", "2", "api:v2", ""), `image: "api:v2"}`, `image: "api:v2", imagePullPolicy: IfNotPresent}`, 1)
	tests := []struct {
		name   string
		deploy string
		rss    []string
		want   string
	}{
		{"template match ignoring the hash", deploy, []string{oldRS, newRS}, "api-new"},
		{"oldest of two matches", deploy, []string{newRS, twin}, "api-twin"},
		{"not owned is ignored", deploy, []string{oldRS, stranger}, ""},
		{"no match yet", deploy, []string{oldRS}, ""},
		{"revision fallback once observed", deploy, []string{oldRS, bare}, "api-def"},
		{"no revision fallback before the generation is observed",
			strings.Replace(deploy, "observedGeneration: 2", "observedGeneration: 1", 1), []string{oldRS, bare}, ""},
		{"deployment without uid matches owner by name", strings.Replace(deploy, "  uid: d-1\n", "", 1), []string{oldRS, newRS}, "api-new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := typed[appsv1.Deployment](t, tc.deploy)
			var rss []appsv1.ReplicaSet
			for _, r := range tc.rss {
				rss = append(rss, typed[appsv1.ReplicaSet](t, r))
			}
			name := ""
			if got := FindNewReplicaSet(&d, rss); got != nil {
				name = got.Name
			}
			assert.Equal(t, name, tc.want)
		})
	}
}

func TestEqualIgnoreHash(t *testing.T) {
	t.Parallel()
	tpl := func(labels map[string]string, image string) *corev1.PodTemplateSpec {
		t := &corev1.PodTemplateSpec{}
		t.Labels = labels
		t.Spec.Containers = []corev1.Container{{Name: "app", Image: image}}
		return t
	}
	tests := []struct {
		name string
		a, b *corev1.PodTemplateSpec
		want bool
	}{
		{"hash only differs", tpl(map[string]string{"app": "a", "pod-template-hash": "x"}, "i"), tpl(map[string]string{"app": "a"}, "i"), true},
		{"image differs", tpl(map[string]string{"app": "a"}, "i:1"), tpl(map[string]string{"app": "a"}, "i:2"), false},
		{"label differs", tpl(map[string]string{"app": "a"}, "i"), tpl(map[string]string{"app": "b"}, "i"), false},
		{"nil and empty labels", tpl(nil, "i"), tpl(map[string]string{"pod-template-hash": "x"}, "i"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := tc.a.DeepCopy(), tc.b.DeepCopy()
			assert.Equal(t, EqualIgnoreHash(tc.a, tc.b), tc.want)
			assert.DeepEqual(t, tc.a, a) // inputs are not modified
			assert.DeepEqual(t, tc.b, b)
		})
	}
}
