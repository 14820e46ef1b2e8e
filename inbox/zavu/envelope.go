package zavu

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// bareEnvelope is a delivery's envelope fields as they stand in the body,
// each the bytes of its JSON value (nil when the body has no such key).
type bareEnvelope struct {
	ID, Type, Timestamp, SenderID, ProjectID, Data json.RawMessage
}

// readEnvelope finds the envelope's fields in body, a JSON object, as
// json.Unmarshal into a bareEnvelope does (keys matched regardless of
// case, the last of a repeated key kept), and with the same error for a
// body that is not valid JSON. Every webhook goes through it before its
// acknowledgement: one check of the body and one pass over its top level,
// instead of a reflective decode. A key with an escape or a byte past
// ASCII, which encoding/json matches by its own folding rules, is left to
// json.Unmarshal.
func readEnvelope(body []byte) (bareEnvelope, error) {
	var b bareEnvelope
	if !json.Valid(body) {
		return b, json.Unmarshal(body, &b) // its error says where
	}
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return b, json.Unmarshal(body, &b)
	}
	i = skipSpace(body, i+1)
	if body[i] == '}' {
		return b, nil
	}
	for {
		// A valid object: a key string, a colon, a value, then a comma or
		// the closing brace.
		end := i + 1
		for body[end] != '"' {
			if body[end] == '\\' || body[end] >= utf8.RuneSelf {
				b = bareEnvelope{}
				return b, json.Unmarshal(body, &b)
			}
			end++
		}
		key := body[i+1 : end]
		i = skipSpace(body, end+1) // at the colon
		i = skipSpace(body, i+1)
		vend := skipValue(body, i)
		if field := b.field(key); field != nil {
			*field = body[i:vend:vend]
		}
		i = skipSpace(body, vend)
		if body[i] == '}' {
			return b, nil
		}
		i = skipSpace(body, i+1) // past the comma, at the next key
	}
}

// field is where the value of key goes, nil for a key the envelope does
// not keep.
func (b *bareEnvelope) field(key []byte) *json.RawMessage {
	switch {
	case bytes.EqualFold(key, []byte("id")):
		return &b.ID
	case bytes.EqualFold(key, []byte("type")):
		return &b.Type
	case bytes.EqualFold(key, []byte("timestamp")):
		return &b.Timestamp
	case bytes.EqualFold(key, []byte("senderid")):
		return &b.SenderID
	case bytes.EqualFold(key, []byte("projectid")):
		return &b.ProjectID
	case bytes.EqualFold(key, []byte("data")):
		return &b.Data
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value that starts at b[i], in a
// body already checked valid.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// skipString returns the end of the JSON string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// stringValue decodes raw, a JSON value, into *s as json.Unmarshal does;
// a plain string (no escape, valid UTF-8) is copied as it stands.
func stringValue(raw json.RawMessage, s *string) error {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		inner := raw[1 : n-1]
		if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			*s = string(inner)
			return nil
		}
	}
	return json.Unmarshal(raw, s)
}
