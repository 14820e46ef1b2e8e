package web

import "testing"

// Formats http.DetectContentType does not know are named from their
// bytes; a name alone never makes a type.
func TestSniffNamesWhatTheBytesAre(t *testing.T) {
	ftyp := func(brand string) string { return "\x00\x00\x00\x18ftyp" + brand + "\x00\x00\x00\x00isommp42" }
	ole := "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + string(make([]byte, 64))
	for _, c := range []struct{ name, head, want string }{
		{"voice.m4a", ftyp("M4A "), "audio/mp4"},
		{"clip.mov", ftyp("qt  "), "video/quicktime"},
		{"clip.3gp", ftyp("3gp5"), "video/3gpp"},
		{"clip.mp4", ftyp("isom"), "video/mp4"},
		{"photo.heic", ftyp("heic"), "image/heic"},
		{"voice.amr", "#!AMR\n\x3c", "audio/amr"},
		{"voice.aac", "\xff\xf1\x50\x80\x02\x1f\xfc", "audio/aac"},
		{"song.flac", "fLaC\x00\x00\x00\x22", "audio/flac"},
		{"old.doc", ole, "application/msword"},
		{"old.xls", ole, "application/vnd.ms-excel"},
		{"old.html", ole, octetStream},
		{"sheet.ods", "PK\x03\x04\x14\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK\x03\x04", "application/vnd.oasis.opendocument.spreadsheet"},
		{"book.xlsx", "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x13\x00\x00\x00[Content_Types].xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"list.csv", "name,phone\nMaya,+14155550111\n", "text/csv"},
		{"list.txt", "name,phone\n", "text/plain"},
		{"page.html", "<!DOCTYPE html><script>alert(1)</script>", octetStream},
		{"icon.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`, octetStream},
		{"empty.png", "", octetStream},
	} {
		if got := sniff([]byte(c.head), c.name); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
