package web

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
)

// Served file types. A file an agent attached, or a customer's media in
// the cache, is served as the type its bytes show, never as the type its
// name or a sender declared: only the types below, which a browser cannot
// run as a page of this site. Anything else is served as
// application/octet-stream, as a download.
const octetStream = "application/octet-stream"

// servedTypes maps each type Switchboard serves as itself to the
// extension a stored file of that type gets.
var servedTypes = map[string]string{
	"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
	"image/bmp": "bmp", "image/heic": "heic",
	"audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac", "audio/ogg": "ogg",
	"audio/amr": "amr", "audio/wave": "wav", "audio/flac": "flac",
	"video/mp4": "mp4", "video/3gpp": "3gp", "video/quicktime": "mov", "video/webm": "webm",
	"video/ogg":          "ogv",
	"application/pdf":    "pdf",
	"application/msword": "doc", "application/vnd.ms-excel": "xls", "application/vnd.ms-powerpoint": "ppt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
	"application/vnd.oasis.opendocument.text":                                   "odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            "ods",
	"application/vnd.oasis.opendocument.presentation":                           "odp",
	"text/plain": "txt", "text/csv": "csv",
}

// sniffLen is how much of a file the type is decided from: enough for
// http.DetectContentType (512 bytes) and for the first entries of an
// office document's zip container.
const sniffLen = 4096

// sniffFile decides the type a stored file is served as, from its first
// bytes. The file's name (its extension) only tells apart formats that
// share a container once the bytes have shown the container: Word, Excel
// and PowerPoint files, old or new, and CSV among plain text.
func sniffFile(r io.ReaderAt, filename string) string {
	head := make([]byte, sniffLen)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return octetStream
	}
	return sniff(head[:n], filename)
}

// sniff is sniffFile on the first bytes of a file.
func sniff(head []byte, filename string) string {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(filename), "."))
	ct, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	switch {
	case len(head) == 0:
		ct = octetStream
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		ct = isoMedia(head, ct)
	case ct == "application/zip":
		ct = officeZip(head, ext)
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")): // OLE2, old Office
		ct = map[string]string{"doc": "application/msword", "xls": "application/vnd.ms-excel",
			"ppt": "application/vnd.ms-powerpoint"}[ext]
	case ct == "application/ogg":
		switch {
		case bytes.Contains(head, []byte("\x80theora")):
			ct = "video/ogg"
		case bytes.Contains(head, []byte("OpusHead")), bytes.Contains(head, []byte("\x01vorbis")),
			bytes.Contains(head, []byte("Speex   ")), bytes.Contains(head, []byte("\x7fFLAC")):
			ct = "audio/ogg"
		}
	case bytes.HasPrefix(head, []byte("#!AMR")):
		ct = "audio/amr"
	case bytes.HasPrefix(head, []byte("fLaC")):
		ct = "audio/flac"
	case len(head) >= 2 && head[0] == 0xff && head[1]&0xf6 == 0xf0: // ADTS
		ct = "audio/aac"
	case ct == "text/plain" && ext == "csv":
		ct = "text/csv"
	}
	if _, ok := servedTypes[ct]; !ok {
		return octetStream
	}
	return ct
}

// isoMedia names an ISO base media file (MP4, QuickTime, 3GPP, HEIC) by
// its major brand.
func isoMedia(head []byte, detected string) string {
	brand := string(head[8:12])
	switch {
	case brand == "M4A " || brand == "M4B ":
		return "audio/mp4"
	case brand == "qt  ":
		return "video/quicktime"
	case strings.HasPrefix(brand, "3gp") || strings.HasPrefix(brand, "3g2"):
		return "video/3gpp"
	case brand == "heic" || brand == "heix" || brand == "mif1" || brand == "msf1":
		return "image/heic"
	case detected == "video/mp4" || brand == "isom" || brand == "iso2" || brand == "avc1" ||
		strings.HasPrefix(brand, "mp4") || brand == "dash":
		return "video/mp4"
	}
	return octetStream
}

// officeZip names a zip container that holds an office document: an
// OpenDocument file says its type in its first entry; an Office Open XML
// file starts with [Content_Types].xml or its parts, and its name tells
// Word, Excel and PowerPoint apart. Any other zip is not served as itself.
func officeZip(head []byte, ext string) string {
	const odf = "mimetypeapplication/vnd.oasis.opendocument."
	if i := bytes.Index(head, []byte(odf)); i >= 0 {
		kind := head[i+len(odf):]
		for _, t := range []string{"text", "spreadsheet", "presentation"} {
			if bytes.HasPrefix(kind, []byte(t)) {
				return "application/vnd.oasis.opendocument." + t
			}
		}
		return octetStream
	}
	ooxml := bytes.Contains(head, []byte("[Content_Types].xml")) || bytes.Contains(head, []byte("_rels/.rels"))
	if !ooxml {
		return octetStream
	}
	switch {
	case ext == "docx" || bytes.Contains(head, []byte("word/")):
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ext == "xlsx" || bytes.Contains(head, []byte("xl/")):
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ext == "pptx" || bytes.Contains(head, []byte("ppt/")):
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	}
	return octetStream
}

// webContent reports whether the first bytes of a file are a web page or
// XML (SVG, XHTML): attaching one is refused outright.
func webContent(head []byte) bool {
	ct, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	return ct == "text/html" || ct == "text/xml"
}

// serveHeaders sets how a stored file of type ctype is served: as itself
// when ctype is one of servedTypes, inline for pictures, sound and video;
// every other file as a download. Nothing served can run as a page.
func serveHeaders(h http.Header, ctype, filename string) {
	disp := "attachment"
	if _, ok := servedTypes[ctype]; !ok {
		ctype = octetStream
	} else if strings.HasPrefix(ctype, "image/") || strings.HasPrefix(ctype, "audio/") || strings.HasPrefix(ctype, "video/") {
		disp = "inline"
	}
	if ctype == "text/plain" || ctype == "text/csv" {
		ctype += "; charset=utf-8"
	}
	h.Set("Content-Type", ctype)
	if filename == "" {
		filename = "file"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
}
