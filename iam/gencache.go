package iam

// genCache is a map bounded to 2*max entries, for caches whose keys come
// from callers (a session policy's text is part of a compiled document's
// key): new entries go to the current generation; once it holds max, it
// becomes the previous generation and the one before is dropped. A hit in
// the previous generation moves the entry to the current one, so what is
// in use stays and what went unused for max insertions goes. Every
// operation is O(1) and a hit in the current generation is one map
// lookup, as with a plain map; callers hold the lock that guards it.
type genCache[K comparable, V any] struct {
	max       int
	cur, prev map[K]V
}

func newGenCache[K comparable, V any](max int) genCache[K, V] {
	return genCache[K, V]{max: max, cur: map[K]V{}}
}

func (c *genCache[K, V]) get(k K) (V, bool) {
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.prev[k]
	if ok {
		delete(c.prev, k)
		c.put(k, v)
	}
	return v, ok
}

func (c *genCache[K, V]) put(k K, v V) {
	if _, ok := c.cur[k]; !ok && len(c.cur) >= c.max {
		c.prev, c.cur = c.cur, make(map[K]V, c.max)
	}
	c.cur[k] = v
}

// len counts the entries held, at most 2*max.
func (c *genCache[K, V]) len() int { return len(c.cur) + len(c.prev) }
