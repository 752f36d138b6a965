package main

// A JSON tree that keeps what a mutator needs and encoding/json throws away:
// key order, duplicate keys, and the raw text of keys and scalars (so a key
// can be written with \u escapes, a string can carry invalid UTF-8 or a lone
// surrogate escape, and a number keeps its spelling).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

type node struct {
	kind byte     // 'o' object, 'a' array, 'v' scalar
	keys []string // objects: raw key text, quotes included
	kids []*node
	raw  string // scalars: raw JSON text
}

func scalar(raw string) *node { return &node{kind: 'v', raw: raw} }

func parseTree(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return parseValue(dec)
}

func parseValue(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: 'a'}
		if t == '{' {
			n.kind = 'o'
		}
		for dec.More() {
			if n.kind == 'o' {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, quote(kt.(string)))
			}
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return scalar(quote(t)), nil
	case json.Number:
		return scalar(string(t)), nil
	case bool:
		return scalar(fmt.Sprint(t)), nil
	case nil:
		return scalar("null"), nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// quote: a JSON string literal, UTF-8 kept raw.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// mustTree: a tree from JSON text known to be valid (the mutator's tables).
func mustTree(text string) *node {
	n, err := parseTree([]byte(text))
	if err != nil {
		panic(fmt.Sprintf("bad table JSON %q: %v", text, err))
	}
	return n
}

func (n *node) copy() *node {
	c := &node{kind: n.kind, raw: n.raw}
	c.keys = append([]string(nil), n.keys...)
	for _, k := range n.kids {
		c.kids = append(c.kids, k.copy())
	}
	return c
}

func (n *node) write(b *bytes.Buffer) {
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.keys[i])
			b.WriteByte(':')
			n.kids[i].write(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, k := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			k.write(b)
		}
		b.WriteByte(']')
	default:
		b.WriteString(n.raw)
	}
}

func (n *node) bytes() []byte {
	var b bytes.Buffer
	n.write(&b)
	return b.Bytes()
}

// keyName: what a raw key decodes to, folded the way Go matches struct
// fields (case-insensitive, U+212A to k, U+017F to s); the raw text when it
// does not decode.
func keyName(raw string) string {
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil || !utf8.ValidString(s) {
		return raw
	}
	return fold(s)
}

func fold(s string) string {
	return strings.ToLower(strings.NewReplacer("\u212a", "k", "\u017f", "s").Replace(s))
}

// find: the index of the last key that is exactly name (decoded), -1 if none.
func (n *node) find(name string) int {
	q := quote(name)
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == q {
			return i
		}
	}
	return -1
}

func (n *node) get(name string) *node {
	if i := n.find(name); i >= 0 {
		return n.kids[i]
	}
	return nil
}

func (n *node) set(name string, v *node) {
	if i := n.find(name); i >= 0 {
		n.kids[i] = v
		return
	}
	n.keys = append(n.keys, quote(name))
	n.kids = append(n.kids, v)
}

func (n *node) del(name string) {
	if i := n.find(name); i >= 0 {
		n.keys = append(n.keys[:i], n.keys[i+1:]...)
		n.kids = append(n.kids[:i], n.kids[i+1:]...)
	}
}

func (n *node) insert(at int, key string, v *node) {
	n.keys = append(n.keys[:at], append([]string{key}, n.keys[at:]...)...)
	n.kids = append(n.kids[:at], append([]*node{v}, n.kids[at:]...)...)
}
