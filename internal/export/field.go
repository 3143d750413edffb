package export

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf field writers of the encoder (encode.go): tags, lengths,
// messages whose length is written when they end, strings repaired to
// valid UTF-8, fixed-width and varint numbers.

// appendTag appends a field's tag: one byte for a field number under 16
// (every field this encoder writes).
func appendTag(b []byte, num protowire.Number, t protowire.Type) []byte {
	if num < 16 {
		return append(b, byte(num)<<3|byte(t))
	}
	return protowire.AppendTag(b, num, t)
}

// sizeBytes is the size of a length-delimited field's length and n bytes.
func sizeBytes(n int) int {
	if n < 0x80 {
		return 1 + n
	}
	return protowire.SizeVarint(uint64(n)) + n
}

// appendLen appends a length as a varint; most are under 128.
func appendLen(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	return protowire.AppendVarint(b, uint64(n))
}

// beginMessage appends the tag of a length-delimited field and a one-byte
// length placeholder; it returns where the field's content starts.
func beginMessage(b []byte, num protowire.Number) ([]byte, int) {
	return beginMessageN(b, num, 1)
}

// endMessage ends a field begun by beginMessage.
func endMessage(b []byte, start int) []byte { return endMessageN(b, start, 1) }

// beginMessageN appends the tag of a length-delimited field and w bytes
// for its length: the length's varint size when it is known roughly (a
// span's 2 bytes, a batch's 3), so that endMessageN moves nothing.
func beginMessageN(b []byte, num protowire.Number, w int) ([]byte, int) {
	b = appendTag(b, num, protowire.BytesType)
	for range w {
		b = append(b, 0)
	}
	return b, len(b)
}

// endMessageN writes the length of the field begun at start with w bytes
// reserved, moving the content when the length's varint needs another
// number of bytes: the bytes are always the minimal encoding.
func endMessageN(b []byte, start, w int) []byte {
	n := len(b) - start
	if n < 0x80 && w == 1 {
		b[start-1] = byte(n)
		return b
	}
	k := protowire.SizeVarint(uint64(n))
	switch {
	case k > w:
		b = append(b, make([]byte, k-w)...) // no allocation while capacity lasts
		copy(b[start+k-w:], b[start:start+n])
	case k < w:
		copy(b[start-(w-k):], b[start:start+n])
		b = b[:len(b)-(w-k)]
	}
	start += k - w
	protowire.AppendVarint(b[:start-k], uint64(n))
	return b
}

// appendString appends a string field unless empty (proto3's default).
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringAlways(b, num, s)
}

// appendStringAlways appends a string field, repaired to valid UTF-8.
func appendStringAlways(b []byte, num protowire.Number, s string) []byte {
	s = validString(s)
	b = appendTag(b, num, protowire.BytesType)
	b = appendLen(b, len(s))
	return append(b, s...)
}

// appendStringValid appends a string field known valid, unless empty.
func appendStringValid(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendLen(b, len(s))
	return append(b, s...)
}

// validString is s, repaired to valid UTF-8 (U+FFFD) when it is not.
func validString(s string) string {
	if validUTF8(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validUTF8 is utf8.ValidString, faster on the short all-ASCII strings
// most attributes are (keys, ids, model names; BenchmarkValidUTF8): 32,
// then 8 bytes at a time are checked for a high bit, and utf8.ValidString
// takes over from the first block that has one (every byte before it is ASCII, so a
// character starts there). From 256 bytes on, utf8.ValidString's own
// ASCII loop is as fast: it checks the whole string.
func validUTF8(s string) bool {
	if len(s) >= 256 {
		return utf8.ValidString(s)
	}
	p := unsafe.Slice(unsafe.StringData(s), len(s))
	const hi = 0x8080808080808080
	i := 0
	for ; i+32 <= len(p); i += 32 {
		q := p[i : i+32]
		if (binary.LittleEndian.Uint64(q)|binary.LittleEndian.Uint64(q[8:])|
			binary.LittleEndian.Uint64(q[16:])|binary.LittleEndian.Uint64(q[24:]))&hi != 0 {
			return utf8.ValidString(s[i:])
		}
	}
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&hi != 0 {
			return utf8.ValidString(s[i:])
		}
	}
	for j := i; j < len(p); j++ {
		if p[j] >= 0x80 {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = appendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendFixed64(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func appendFixed32(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// appendUint32 appends a count, clamped to uint32 as the stock transform
// does, unless zero.
func appendUint32(b []byte, num protowire.Number, v int) []byte {
	if v <= 0 {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(min(int64(v), math.MaxUint32)))
}
