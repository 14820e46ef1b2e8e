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
// segment of nothing.
func MeasureSMS(text string) SMSLength {
	septets, gsm := 0, true
	for _, r := range text {
		n, ok := gsmSeptets[r]
		if !ok {
			gsm = false
			break
		}
		septets += n
	}
	if gsm {
		return segments(GSM7, septets, 160, 153)
	}
	return segments(UCS2, len(utf16.Encode([]rune(text))), 70, 67)
}

func segments(enc SMSEncoding, units, single, multi int) SMSLength {
	if units <= single {
		return SMSLength{Encoding: enc, Units: units, Segments: 1, PerSegment: single}
	}
	return SMSLength{Encoding: enc, Units: units, Segments: (units + multi - 1) / multi, PerSegment: multi}
}
