package status

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

func TestRevisionOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		obj       metav1.Object
		want      int64
		wantFound bool
		wantErr   string
	}{
		{name: "number", obj: &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Annotations: map[string]string{RevisionAnnotation: "12"}}},
			want: 12, wantFound: true},
		{name: "absent is revision 0, as kubectl reads it", obj: &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1"}}},
		{name: "other annotations only", obj: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{"a": "1"}}}},
		{name: "garbled", obj: &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Annotations: map[string]string{RevisionAnnotation: "ninety-six"}}},
			wantFound: true, wantErr: `replicaset "web-1": annotation deployment.kubernetes.io/revision is "ninety-six", not a revision number`},
		{name: "empty value", obj: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{RevisionAnnotation: ""}}},
			wantFound: true, wantErr: `deployment "web": annotation deployment.kubernetes.io/revision is "", not a revision number`},
		{name: "out of range", obj: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{RevisionAnnotation: "99999999999999999999"}}},
			wantFound: true, wantErr: "value out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, found, err := RevisionOf(tc.obj)
			assert.Equal(t, n, tc.want)
			assert.Equal(t, found, tc.wantFound)
			if tc.wantErr == "" {
				assert.NilError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
			assert.Assert(t, errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange), "the strconv error is wrapped: %v", err)
		})
	}
}
