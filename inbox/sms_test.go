package inbox

import (
	"strings"
	"testing"
)

func TestMeasureSMS(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		enc      SMSEncoding
		units    int
		segments int
	}{
		{"empty", "", GSM7, 0, 1},
		{"plain", "Your order has shipped.", GSM7, 23, 1},
		{"160 GSM fits one", strings.Repeat("a", 160), GSM7, 160, 1},
		{"161 GSM needs two of 153", strings.Repeat("a", 161), GSM7, 161, 2},
		{"306 GSM is two", strings.Repeat("a", 306), GSM7, 306, 2},
		{"307 GSM is three", strings.Repeat("a", 307), GSM7, 307, 3},
		{"extension characters take two septets", "€10 {ok}", GSM7, 11, 1},
		{"159 plus one euro overflows", strings.Repeat("a", 159) + "€", GSM7, 161, 2},
		{"accents in the GSM alphabet stay GSM-7", "Café à Paris, Ñoño", GSM7, 18, 1},
		{"an accent outside it, like ú, is UCS-2", "Ñandú", UCS2, 5, 1},
		{"one emoji switches to UCS-2", "Thanks 👍", UCS2, 9, 1},
		{"70 UCS-2 fits one", strings.Repeat("ж", 70), UCS2, 70, 1},
		{"71 UCS-2 needs two of 67", strings.Repeat("ж", 71), UCS2, 71, 2},
		{"a character outside GSM, like ç, is UCS-2", "Açaí", UCS2, 4, 1},
		// A character is never cut between two segments: an extension
		// character's escape and the character go in one, and so do the
		// two halves of an emoji, so the next segment starts earlier.
		{"a euro across the end of a segment moves to the next", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), GSM7, 306, 3},
		{"a euro that ends a segment fits", strings.Repeat("a", 151) + "€" + strings.Repeat("a", 153), GSM7, 306, 2},
		{"an emoji across the end of a segment moves to the next", strings.Repeat("ж", 66) + "👍" + strings.Repeat("ж", 66), UCS2, 134, 3},
		{"an emoji that ends a segment fits", strings.Repeat("ж", 65) + "👍" + strings.Repeat("ж", 67), UCS2, 134, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MeasureSMS(tt.text)
			if got.Encoding != tt.enc || got.Units != tt.units || got.Segments != tt.segments {
				t.Errorf("MeasureSMS(%q) = %+v, want %s, %d units, %d segments", tt.text, got, tt.enc, tt.units, tt.segments)
			}
		})
	}
}
