package manifest

import (
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// fieldLine finds the 1-based line, relative to text, of the key at path
// ("spec.template.spec.containers[0].imagez"), as strict-decoding errors
// name it. ok is false when the path cannot be followed.
func fieldLine(text []byte, path string) (line int, ok bool) {
	defer func() {
		// A best-effort lookup must never turn a parse error into a panic.
		if recover() != nil {
			line, ok = 0, false
		}
	}()
	root, err := kyaml.Parse(string(text))
	if err != nil {
		return 0, false
	}
	node := root.YNode()
	for node.Kind == kyaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	keyLine := 0
	for seg := range strings.SplitSeq(path, ".") {
		key, indexes := splitIndexes(seg)
		next, kl := mappingValue(node, key)
		if next == nil {
			return 0, false
		}
		node, keyLine = next, kl
		for _, i := range indexes {
			if node.Kind != kyaml.SequenceNode || i < 0 || i >= len(node.Content) {
				return 0, false
			}
			node = node.Content[i]
			keyLine = node.Line
		}
	}
	return keyLine, keyLine > 0
}

func mappingValue(n *kyaml.Node, key string) (*kyaml.Node, int) {
	if n == nil || n.Kind != kyaml.MappingNode {
		return nil, 0
	}
	var found *kyaml.Node
	line := 0
	// The last occurrence wins, as in decoding; a duplicate names the later key.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			found, line = n.Content[i+1], n.Content[i].Line
		}
	}
	return found, line
}

// splitIndexes turns "containers[0][1]" into "containers", [0 1].
func splitIndexes(seg string) (string, []int) {
	open := strings.IndexByte(seg, '[')
	if open < 0 || !strings.HasSuffix(seg, "]") {
		return seg, nil
	}
	key := seg[:open]
	var idx []int
	for part := range strings.SplitSeq(strings.TrimSuffix(seg[open+1:], "]"), "][") {
		i, err := strconv.Atoi(part)
		if err != nil {
			return seg, nil
		}
		idx = append(idx, i)
	}
	return key, idx
}
