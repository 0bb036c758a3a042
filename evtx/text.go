package evtx

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// escapeMode selects which characters appendEscaped replaces.
type escapeMode uint8

const (
	escapeNone escapeMode = iota // character and entity references, CDATA
	escapeText                   // element text: & < >
	escapeAttr                   // attribute values: & < > and both quotes
)

// appendEscapedRune appends r to dst, replacing the characters XML
// requires in the given mode.
func appendEscapedRune(dst []byte, r rune, mode escapeMode) []byte {
	if mode != escapeNone {
		switch r {
		case '&':
			return append(dst, "&amp;"...)
		case '<':
			return append(dst, "&lt;"...)
		case '>':
			return append(dst, "&gt;"...)
		case '\'':
			if mode == escapeAttr {
				return append(dst, "&apos;"...)
			}
		case '"':
			if mode == escapeAttr {
				return append(dst, "&quot;"...)
			}
		}
	}
	if r < utf8.RuneSelf {
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

// appendUTF16 appends the UTF-16LE text in src (an even number of bytes is
// used; an odd trailing byte is ignored) to dst as escaped UTF-8. Surrogate
// pairs combine; a lone surrogate becomes U+FFFD.
func appendUTF16(dst, src []byte, mode escapeMode) []byte {
	n := len(src) &^ 1
	for i := 0; i < n; i += 2 {
		// Fast path: four ASCII characters that need no escaping.
		for i+8 <= n {
			v := binary.LittleEndian.Uint64(src[i:])
			if v&0xFF80FF80FF80FF80 != 0 || xmlSpecial[src[i]] || xmlSpecial[src[i+2]] ||
				xmlSpecial[src[i+4]] || xmlSpecial[src[i+6]] {
				break
			}
			dst = append(dst, src[i], src[i+2], src[i+4], src[i+6])
			i += 8
		}
		if i >= n {
			break
		}
		u := rune(src[i]) | rune(src[i+1])<<8
		switch {
		case u < 0x80 && u != '&' && u != '<' && u != '>' && u != '\'' && u != '"':
			dst = append(dst, byte(u))
			continue
		case utf16.IsSurrogate(u):
			if u < 0xDC00 && i+3 < n {
				u2 := rune(src[i+2]) | rune(src[i+3])<<8
				if r := utf16.DecodeRune(u, u2); r != utf8.RuneError {
					dst = utf8.AppendRune(dst, r)
					i += 2
					continue
				}
			}
			u = utf8.RuneError
		}
		dst = appendEscapedRune(dst, u, mode)
	}
	return dst
}

// xmlSpecial marks the ASCII characters that some escape mode replaces.
var xmlSpecial = [128]bool{'&': true, '<': true, '>': true, '\'': true, '"': true}

// trimUTF16NULs drops trailing NUL code units from UTF-16LE text.
func trimUTF16NULs(b []byte) []byte {
	n := len(b) &^ 1
	for n >= 2 && b[n-1] == 0 && b[n-2] == 0 {
		n -= 2
	}
	return b[:n]
}

// cp1252High maps Windows-1252 bytes 0x80..0x9F to Unicode; the other bytes
// are the same as in Latin-1. Undefined positions map to U+FFFD.
var cp1252High = [32]rune{
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0xFFFD,
}

// appendANSI appends Windows-1252 text to dst as escaped UTF-8.
func appendANSI(dst, src []byte, mode escapeMode) []byte {
	for _, c := range src {
		r := rune(c)
		if c >= 0x80 && c < 0xA0 {
			r = cp1252High[c-0x80]
		}
		dst = appendEscapedRune(dst, r, mode)
	}
	return dst
}

// trimNULs drops trailing NUL bytes.
func trimNULs(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

const hexUpper = "0123456789ABCDEF"
const hexLower = "0123456789abcdef"

// appendHexUpper appends b as upper-case hex digits without separators.
func appendHexUpper(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// appendHexInt appends v as 0x followed by lower-case hex digits, without
// leading zeros.
func appendHexInt(dst []byte, v uint64) []byte {
	var buf [16]byte
	i := len(buf)
	for {
		i--
		buf[i] = hexLower[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	dst = append(dst, '0', 'x')
	return append(dst, buf[i:]...)
}
