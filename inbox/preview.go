package inbox

import "strings"

// previewLength bounds the one-line preview in the conversation list.
const previewLength = 120

// Preview is the one line the conversation list shows for a message.
func Preview(m Message) string {
	text := strings.Join(strings.Fields(m.Text), " ")
	c := m.Content
	if c == nil {
		c = &Content{}
	}
	var p string
	switch m.Type {
	case TypeImage:
		p = labelled("📷 Photo", text)
	case TypeVideo:
		p = labelled("🎥 Video", text)
	case TypeAudio:
		p = labelled("🎤 Audio", text)
	case TypeSticker:
		p = "Sticker"
	case TypeDocument:
		name := c.Filename
		if name == "" {
			name = "Document"
		}
		p = labelled("📄 "+name, text)
	case TypeLocation:
		place := c.Name
		if place == "" {
			place = c.Address
		}
		if place == "" {
			place = "Location"
		}
		p = "📍 " + place
	case TypeContact:
		p = "👤 Contact"
		if len(c.Contacts) > 0 && c.Contacts[0].Name != "" {
			p = "👤 " + c.Contacts[0].Name
		}
	case TypeUnsupported:
		p = "Unsupported message"
	case TypeUnknown:
		p = "Message sent outside Switchboard"
	case TypeTemplate:
		p = labelled("Template", text)
	default:
		p = text
		if p == "" && c.InteractiveReply != nil {
			p = c.InteractiveReply.Title
		}
	}
	return truncate(p, previewLength)
}

func labelled(label, caption string) string {
	if caption == "" {
		return label
	}
	return label + ": " + caption
}

// truncate cuts s to at most n runes, ending with an ellipsis when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
