package inbox

import "unicode/utf16"

// SMSEncoding is how an SMS text travels: GSM-7 when every character is in
// the GSM 03.38 alphabet, else UCS-2.
type SMSEncoding string

const (
	GSM7 SMSEncoding = "GSM-7"
	UCS2 SMSEncoding = "UCS-2"
)

// SMSLength is what an SMS costs: its encoding, its length in that
// encoding's units, and how many segments the carrier bills.
type SMSLength struct {
	Encoding SMSEncoding
	Units    int // septets for GSM-7, UTF-16 code units for UCS-2
	Segments int
	// PerSegment is how many units fit in each segment at this length:
	// 160 or 153 for GSM-7, 70 or 67 for UCS-2.
	PerSegment int
}

// gsmBasic is the GSM 03.38 default alphabet; each takes one septet.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtended are the extension table's characters; each takes two septets
// (an escape and the character).
const gsmExtended = "^{}\\[~]|€\f"

var gsmSeptets = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtended {
		m[r] = 2
	}
	return m
}()

// MeasureSMS says how text would be sent as SMS. An empty text is one
// segment of nothing. A character is never cut between two segments of a
// long text: an extension character's escape and the character go in
// one, and so do the two UTF-16 halves of an emoji, so the segment before
// it may end a unit short.
func MeasureSMS(text string) SMSLength {
	gsm := true
	for _, r := range text {
		if _, ok := gsmSeptets[r]; !ok {
			gsm = false
			break
		}
	}
	if gsm {
		return segments(GSM7, text, func(r rune) int { return gsmSeptets[r] }, 160, 153)
	}
	return segments(UCS2, text, func(r rune) int { return utf16.RuneLen(r) }, 70, 67)
}

// segments measures text whose characters take size(r) units each: one
// segment of up to single units, or segments of up to multi units with
// no character cut between two.
func segments(enc SMSEncoding, text string, size func(rune) int, single, multi int) SMSLength {
	units, segs, used := 0, 1, 0
	for _, r := range text {
		n := size(r)
		units += n
		if used+n > multi {
			segs, used = segs+1, 0
		}
		used += n
	}
	if units <= single {
		return SMSLength{Encoding: enc, Units: units, Segments: 1, PerSegment: single}
	}
	return SMSLength{Encoding: enc, Units: units, Segments: segs, PerSegment: multi}
}
