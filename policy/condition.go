package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// baseOp is a condition operator without set qualifier or IfExists.
type baseOp uint8

const (
	opUnknown baseOp = iota
	opStringEquals
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringLike
	opStringNotLike
	opNumericEquals
	opNumericNotEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateNotEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opNotIPAddress
	opArnEquals
	opArnLike
	opArnNotEquals
	opArnNotLike
	opNull
)

var opNames = map[string]baseOp{
	"StringEquals": opStringEquals, "StringNotEquals": opStringNotEquals,
	"StringEqualsIgnoreCase": opStringEqualsIgnoreCase, "StringNotEqualsIgnoreCase": opStringNotEqualsIgnoreCase,
	"StringLike": opStringLike, "StringNotLike": opStringNotLike,
	"NumericEquals": opNumericEquals, "NumericNotEquals": opNumericNotEquals,
	"NumericLessThan": opNumericLessThan, "NumericLessThanEquals": opNumericLessThanEquals,
	"NumericGreaterThan": opNumericGreaterThan, "NumericGreaterThanEquals": opNumericGreaterThanEquals,
	"DateEquals": opDateEquals, "DateNotEquals": opDateNotEquals,
	"DateLessThan": opDateLessThan, "DateLessThanEquals": opDateLessThanEquals,
	"DateGreaterThan": opDateGreaterThan, "DateGreaterThanEquals": opDateGreaterThanEquals,
	"Bool": opBool, "BinaryEquals": opBinaryEquals,
	"IpAddress": opIPAddress, "NotIpAddress": opNotIPAddress,
	"ArnEquals": opArnEquals, "ArnLike": opArnLike, "ArnNotEquals": opArnNotEquals, "ArnNotLike": opArnNotLike,
	"Null": opNull,
}

type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

func (o baseOp) family() family {
	switch {
	case o >= opStringEquals && o <= opStringNotLike:
		return famString
	case o >= opNumericEquals && o <= opNumericGreaterThanEquals:
		return famNumeric
	case o >= opDateEquals && o <= opDateGreaterThanEquals:
		return famDate
	case o == opBool:
		return famBool
	case o == opBinaryEquals:
		return famBinary
	case o == opIPAddress || o == opNotIPAddress:
		return famIP
	case o >= opArnEquals && o <= opArnNotLike:
		return famArn
	}
	return famNull
}

// negated operators are true when no value matches, and therefore when
// the key is missing.
func (o baseOp) negated() bool {
	switch o {
	case opStringNotEquals, opStringNotEqualsIgnoreCase, opStringNotLike, opNumericNotEquals,
		opDateNotEquals, opNotIPAddress, opArnNotEquals, opArnNotLike:
		return true
	}
	return false
}

type setQual uint8

const (
	setNone setQual = iota
	setAnyValue
	setAllValues
)

type opInfo struct {
	base     baseOp
	set      setQual
	ifExists bool
}

// lookupOperator parses "[ForAnyValue:|ForAllValues:]Base[IfExists]".
// Operator names are case-sensitive, as in AWS. Null takes no IfExists.
func lookupOperator(name string) (opInfo, bool) {
	var o opInfo
	switch {
	case strings.HasPrefix(name, "ForAnyValue:"):
		o.set, name = setAnyValue, name[len("ForAnyValue:"):]
	case strings.HasPrefix(name, "ForAllValues:"):
		o.set, name = setAllValues, name[len("ForAllValues:"):]
	}
	if b, ok := opNames[name]; ok {
		o.base = b
		return o, true
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok {
		if b, ok := opNames[base]; ok && b != opNull {
			o.base, o.ifExists = b, true
			return o, true
		}
	}
	return opInfo{}, false
}

// cond is a compiled condition: one operator, one key, its values
// pre-parsed for the operator's type.
type cond struct {
	op    opInfo
	fam   family // op.base.family(), precomputed
	neg   bool   // op.base.negated(), precomputed
	key   string // lower case
	hash  uint64 // hashFold(key)
	home  uint64 // ctxHome(key)
	pk    bool   // isPrincipalKey(key)
	pats  []pattern
	arns  []arnPattern
	nums  []float64
	dates []time.Time
	ips   []netip.Prefix
	strs  []string // Bool (lower case), BinaryEquals (canonical), Null
}

func compileCond(c *Condition, vars bool) cond {
	op, _ := lookupOperator(c.Operator) // Parse rejected unknown operators
	k := cond{op: op, fam: op.base.family(), neg: op.base.negated(), key: lowerASCII(c.Key), hash: hashFold(c.Key), pk: isPrincipalKey(lowerASCII(c.Key))}
	k.home, _ = ctxHome(k.hash)
	switch k.fam {
	case famString:
		wild := op.base == opStringLike || op.base == opStringNotLike
		fold := op.base == opStringEqualsIgnoreCase || op.base == opStringNotEqualsIgnoreCase
		for _, v := range c.Values {
			k.pats = append(k.pats, compilePattern(v, wild, vars, fold))
		}
	case famArn:
		for _, v := range c.Values {
			k.arns = append(k.arns, compileARN(v, vars, true))
		}
	case famNumeric:
		for _, v := range c.Values {
			// A value that is not a number can never compare; AWS
			// evaluates such a condition as not matching.
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == f {
				k.nums = append(k.nums, f)
			}
		}
	case famDate:
		for _, v := range c.Values {
			if t, ok := parseDate(v); ok {
				k.dates = append(k.dates, t)
			}
		}
	case famIP:
		for _, v := range c.Values {
			if p, ok := parseIPPrefix(v); ok {
				k.ips = append(k.ips, p)
			}
		}
	case famBool, famNull:
		for _, v := range c.Values {
			k.strs = append(k.strs, strings.ToLower(v))
		}
	case famBinary:
		for _, v := range c.Values {
			k.strs = append(k.strs, canonicalBase64(v))
		}
	}
	return k
}

// eval applies AWS's rules: a missing (or empty) key makes ...IfExists
// true, ForAllValues true, ForAnyValue false, negated operators true and
// the others false; Null tests presence. Otherwise values of one key are
// ORed: a plain operator matches when any request value matches any
// policy value (negated: when none does), ForAnyValue when some request
// value satisfies the operator, ForAllValues when every one does.
func (c *cond) eval(r *evaluator) bool {
	vals := r.lookup(c.key, c.hash, c.home, c.pk)
	n := vals.len()
	if c.op.base == opNull {
		for _, s := range c.strs {
			if s == "true" && n == 0 || s == "false" && n > 0 {
				return true
			}
		}
		return false
	}
	neg := c.neg
	if n == 0 {
		switch {
		case c.op.ifExists:
			return true
		case c.op.set == setAllValues:
			return true
		case c.op.set == setAnyValue:
			return false
		}
		return neg
	}
	switch c.op.set {
	case setAnyValue:
		for i := 0; i < n; i++ {
			if c.positive(vals.at(i), r) != neg {
				return true
			}
		}
		return false
	case setAllValues:
		for i := 0; i < n; i++ {
			if c.positive(vals.at(i), r) == neg {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		if c.positive(vals.at(i), r) {
			return !neg
		}
	}
	return neg
}

// positive reports whether request value v matches any policy value under
// the operator's positive sense (StringNotEquals -> equals).
func (c *cond) positive(v string, r *evaluator) bool {
	switch c.fam {
	case famString:
		for i := range c.pats {
			if c.pats[i].match(v, r) {
				return true
			}
		}
	case famArn:
		var a arnParts
		split := false
		for i := range c.arns {
			m, ok := c.arns[i].quick(v, r)
			if !ok {
				if !split {
					a, split = splitARN(v), true
				}
				m = c.arns[i].match(v, &a, r)
			}
			if m {
				return true
			}
		}
	case famNumeric:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f {
			return false
		}
		for _, p := range c.nums {
			if compare(c.op.base-opNumericEquals, cmpFloat(f, p)) {
				return true
			}
		}
	case famDate:
		t, ok := r.date(v)
		if !ok {
			return false
		}
		for _, p := range c.dates {
			if compare(c.op.base-opDateEquals, t.Compare(p)) {
				return true
			}
		}
	case famBool:
		for _, p := range c.strs {
			if equalFoldASCII(v, p) {
				return true
			}
		}
	case famBinary:
		for _, p := range c.strs {
			if v == p {
				return true
			}
		}
	case famIP:
		a, ok := r.addr(v)
		if !ok {
			return false
		}
		for _, p := range c.ips {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// compare interprets a three-way comparison for the relation at offset rel
// of the Numeric/Date operator block: Equals, NotEquals (positive sense:
// equals), LessThan, LessThanEquals, GreaterThan, GreaterThanEquals.
func compare(rel baseOp, c int) bool {
	switch rel {
	case 0, 1:
		return c == 0
	case 2:
		return c < 0
	case 3:
		return c <= 0
	case 4:
		return c > 0
	}
	return c >= 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dateLayouts are the ISO 8601 forms AWS accepts in Date conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseDate reads s as Date condition operators read a request's value:
// an ISO 8601 date-time or epoch seconds.
func ParseDate(s string) (time.Time, bool) { return parseDate(s) }

// parseDate accepts ISO 8601 date-times and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// canonicalBase64 normalizes a BinaryEquals policy value so that it can be
// compared with the request's base64 text without decoding per request.
func canonicalBase64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return s
	}
	return base64.StdEncoding.EncodeToString(b)
}

// parseIPPrefix accepts an IPv4 or IPv6 address or CIDR block.
func parseIPPrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
