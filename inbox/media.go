package inbox

// What a channel takes of a file sent with a reply. WhatsApp takes
// pictures of at most 5 MB, videos and audio of at most 16 MB and
// documents of at most 100 MB, with a caption of at most 1,024
// characters. SMS carries text only: Zavu takes no picture, video, audio
// or document on it.

// CarriesFiles reports whether a reply on ch may carry a file.
func CarriesFiles(ch Channel) bool { return ch != SMS }

// MediaLimit is the largest file of type t that ch takes, in bytes, with
// the kind's name for a sentence ("pictures"); ok is false when the
// channel sets no size of its own for it (a document on WhatsApp, larger
// than Switchboard takes anyway).
func MediaLimit(ch Channel, t MessageType) (bytes int64, kind string, ok bool) {
	if ch != WhatsApp {
		return 0, "", false
	}
	switch t {
	case TypeImage:
		return 5 << 20, "pictures", true
	case TypeVideo:
		return 16 << 20, "videos", true
	case TypeAudio:
		return 16 << 20, "audio files", true
	}
	return 0, "", false
}

// MaxCaption is the most characters the text sent with a file may have on
// ch: WhatsApp's captions take MaxCaptionLength. Where a channel has no
// caption of its own, the text is bounded like any reply's.
func MaxCaption(ch Channel) int {
	if ch == WhatsApp {
		return MaxCaptionLength
	}
	return MaxReplyLength
}

// RefuseFile is why a reply on ch cannot carry a file, naming the
// channel, or nil where it can: a form may ask it before the file is
// read.
func RefuseFile(ch Channel) error {
	if CarriesFiles(ch) {
		return nil
	}
	return &InvalidError{Code: "media_not_supported",
		Message: ch.Label() + " carries text only: a photo, video, audio or document cannot be sent in this conversation. Send a link to the file instead."}
}

// checkFile refuses a file on a channel that takes none, and a caption
// longer than the channel takes, naming the channel.
func checkFile(ch Channel, caption int) error {
	if err := RefuseFile(ch); err != nil {
		return err
	}
	if max := MaxCaption(ch); caption > max {
		return invalid("caption_too_long",
			"A caption on %s has at most %d characters; this one has %d. Shorten it, or send the text as a reply of its own.", ch.Label(), max, caption)
	}
	return nil
}
