package evtx

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// Substitution value types.
const (
	typeNull       = 0x00
	typeString     = 0x01
	typeANSI       = 0x02
	typeInt8       = 0x03
	typeUint8      = 0x04
	typeInt16      = 0x05
	typeUint16     = 0x06
	typeInt32      = 0x07
	typeUint32     = 0x08
	typeInt64      = 0x09
	typeUint64     = 0x0A
	typeReal32     = 0x0B
	typeReal64     = 0x0C
	typeBool       = 0x0D
	typeBinary     = 0x0E
	typeGUID       = 0x0F
	typeSizeT      = 0x10
	typeFileTime   = 0x11
	typeSystemTime = 0x12
	typeSID        = 0x13
	typeHexInt32   = 0x14
	typeHexInt64   = 0x15
	typeBinXML     = 0x21
	typeArray      = 0x80
)

// fixedSize returns the size of one item of a fixed-size type, or 0.
func fixedSize(typ byte, total int) int {
	switch typ {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeHexInt32, typeBool:
		return 4
	case typeInt64, typeUint64, typeReal64, typeHexInt64, typeFileTime:
		return 8
	case typeGUID, typeSystemTime:
		return 16
	case typeSizeT:
		if total%8 == 0 {
			return 8
		}
		return 4
	}
	return 0
}

// appendScalar appends the rendering of one value of type typ stored in b,
// escaped for mode, as Windows renders it to XML.
func appendScalar(dst []byte, typ byte, b []byte, mode escapeMode) []byte {
	switch typ {
	case typeNull:
		return dst
	case typeString:
		return appendUTF16(dst, trimUTF16NULs(b), mode)
	case typeANSI:
		return appendANSI(dst, trimNULs(b), mode)
	case typeInt8, typeInt16, typeInt32, typeInt64:
		return strconv.AppendInt(dst, signedLE(b), 10)
	case typeUint8, typeUint16, typeUint32, typeUint64:
		return strconv.AppendUint(dst, unsignedLE(b), 10)
	case typeReal32:
		if len(b) < 4 {
			return dst
		}
		f := math.Float32frombits(binary.LittleEndian.Uint32(b))
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	case typeReal64:
		if len(b) < 8 {
			return dst
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case typeBool:
		if unsignedLE(b) != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case typeBinary:
		return appendHexUpper(dst, b)
	case typeGUID:
		if len(b) < 16 {
			return appendHexUpper(dst, b)
		}
		return appendGUID(dst, b)
	case typeSizeT, typeHexInt32, typeHexInt64:
		return appendHexInt(dst, unsignedLE(b))
	case typeFileTime:
		if len(b) < 8 {
			return dst
		}
		return appendFileTime(dst, binary.LittleEndian.Uint64(b))
	case typeSystemTime:
		return appendSystemTime(dst, b)
	case typeSID:
		return appendSID(dst, b)
	}
	// Types not seen in files (EvtHandle, EvtXml, unknown codes): raw hex.
	return appendHexUpper(dst, b)
}

// signedLE decodes a little-endian two's-complement integer of 1, 2, 4 or
// 8 bytes; other sizes use the first 8 bytes or fewer.
func signedLE(b []byte) int64 {
	switch len(b) {
	case 1:
		return int64(int8(b[0]))
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	}
	return int64(unsignedLE(b))
}

// unsignedLE decodes up to 8 little-endian bytes.
func unsignedLE(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// appendGUID appends a GUID as {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}: the
// first three groups are little-endian integers, the last two are bytes in
// stored order.
func appendGUID(dst, b []byte) []byte {
	dst = append(dst, '{')
	dst = appendHexUpper(dst, []byte{b[3], b[2], b[1], b[0]})
	dst = append(dst, '-')
	dst = appendHexUpper(dst, []byte{b[5], b[4]})
	dst = append(dst, '-')
	dst = appendHexUpper(dst, []byte{b[7], b[6]})
	dst = append(dst, '-')
	dst = appendHexUpper(dst, b[8:10])
	dst = append(dst, '-')
	dst = appendHexUpper(dst, b[10:16])
	return append(dst, '}')
}

func formatGUID(b []byte) string { return string(appendGUID(nil, b)) }

// fileTimeEpochDelta is the number of seconds from 1601-01-01 to 1970-01-01.
const fileTimeEpochDelta = 11644473600

// fileTime converts a FILETIME (100 ns ticks since 1601) to UTC.
func fileTime(ticks uint64) time.Time {
	secs := int64(ticks/1e7) - fileTimeEpochDelta
	return time.Unix(secs, int64(ticks%1e7)*100).UTC()
}

// appendFileTime appends a FILETIME as 2017-08-30T19:25:04.1743494Z, with
// all seven fractional digits as Windows writes SystemTime.
func appendFileTime(dst []byte, ticks uint64) []byte {
	t := time.Unix(int64(ticks/1e7)-fileTimeEpochDelta, 0).UTC()
	dst = appendDateTime(dst, t)
	dst = append(dst, '.')
	dst = appendPadded(dst, int(ticks%1e7), 7)
	return append(dst, 'Z')
}

// appendSystemTime appends a SYSTEMTIME (year, month, weekday, day, hour,
// minute, second, millisecond as u16) in the same form as a FILETIME.
func appendSystemTime(dst, b []byte) []byte {
	if len(b) < 16 {
		return appendHexUpper(dst, b)
	}
	f := func(i int) int { return int(binary.LittleEndian.Uint16(b[2*i:])) }
	dst = appendPadded(dst, f(0), 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, f(1), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, f(3), 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, f(4), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, f(5), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, f(6), 2)
	dst = append(dst, '.')
	dst = appendPadded(dst, f(7)*10000, 7)
	return append(dst, 'Z')
}

func appendDateTime(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendPadded(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, h, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, mi, 2)
	dst = append(dst, ':')
	return appendPadded(dst, s, 2)
}

// appendPadded appends a non-negative v with at least width digits.
func appendPadded(dst []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v > 0 || len(buf)-i < width {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[i:]...)
}

// appendSID appends a security identifier as S-R-A-S1-S2-...: revision,
// 48-bit big-endian authority (hex when it does not fit 32 bits, as
// Windows prints it), then little-endian u32 sub-authorities.
func appendSID(dst, b []byte) []byte {
	if len(b) < 8 {
		return appendHexUpper(dst, b)
	}
	n := int(b[1])
	if 8+4*n > len(b) {
		return appendHexUpper(dst, b)
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	dst = append(dst, '-')
	if auth >= 1<<32 {
		dst = append(dst, "0x"...)
		dst = appendHexUpper(dst, b[2:8])
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	for i := range n {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10)
	}
	return dst
}

// sidSize returns the size of the SID at the start of b, or 0.
func sidSize(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	n := 8 + 4*int(b[1])
	if n > len(b) {
		return 0
	}
	return n
}

// forEachItem calls fn with the bytes of each item of an array value of
// element type typ (the array flag removed). String arrays hold
// NUL-terminated strings back to back.
func forEachItem(typ byte, b []byte, fn func(item []byte)) {
	switch typ {
	case typeString:
		start := 0
		n := len(b) &^ 1
		for i := 0; i < n; i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				fn(b[start:i])
				start = i + 2
			}
		}
		if start < n {
			fn(b[start:n])
		}
	case typeANSI:
		start := 0
		for i, c := range b {
			if c == 0 {
				fn(b[start:i])
				start = i + 1
			}
		}
		if start < len(b) {
			fn(b[start:])
		}
	case typeSID:
		for len(b) > 0 {
			n := sidSize(b)
			if n == 0 {
				return
			}
			fn(b[:n])
			b = b[n:]
		}
	default:
		size := fixedSize(typ, len(b))
		if size == 0 {
			fn(b)
			return
		}
		for len(b) >= size {
			fn(b[:size])
			b = b[size:]
		}
	}
}
