package zavu

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// envelopeCases are bodies whose envelope the fast reader must read as
// encoding/json does: keys in any case, repeated keys, escapes in keys
// and values, nested values holding quotes and brackets, odd spacing, and
// bodies that are not JSON at all.
var envelopeCases = []string{
	`{"id":"evt_1","type":"message.inbound","timestamp":1740819600000,"senderId":"snd_1","projectId":"prj","data":{"text":"a \"quoted\" } ] {"}}`,
	`{"ID":"evt_2","TYPE":"message.read","SenderID":"snd_2","Data":{"messageId":"m"}}`,
	`{"id":"first","id":"second","type":"t","type":"u"}`,
	`{"i\u0064":"escaped key","type":"t"}`,
	`{"id":"caf\u00e9","type":"t\"x"}`,
	`{"ſenderId":"long s","id":"e","type":"t"}`,
	`{"Kid":"kelvin","id":"e","type":"t"}`,
	` { "id" : "e" , "type" :	"t" , "data" : [ 1 , { "a" : [ ] } , "]" ] , "timestamp" : "17" } `,
	`{"id":1,"type":null,"timestamp":-1.5e3,"senderId":true,"data":false}`,
	`{}`,
	`{"id":"e","type":"t",}`,
	`{"id":"e" "type":"t"}`,
	`[{"id":"e","type":"t"}]`,
	`{"id":"e","type":"t"}x`,
	`{"id":"e\xff","type":"t"}`,
	`{"data":{"deep":{"deeper":[[[{"x":"\\"}]]]}},"id":"e","type":"t"}`,
}

func TestReadEnvelopeReadsAsEncodingJSONDoes(t *testing.T) {
	for _, body := range envelopeCases {
		sameEnvelope(t, []byte(body))
	}
	for _, ev := range NewSimulator(7, "snd_test", "+13125559876", time.Now).Stream(300) {
		sameEnvelope(t, ev.Body)
	}
}

func FuzzReadEnvelope(f *testing.F) {
	for _, body := range envelopeCases {
		f.Add([]byte(body))
	}
	f.Fuzz(sameEnvelope)
}

// sameEnvelope fails t unless readEnvelope and json.Unmarshal agree on
// body: the same fields, or both an error.
func sameEnvelope(t *testing.T, body []byte) {
	var want bareEnvelope
	wantErr := json.Unmarshal(body, &want)
	got, err := readEnvelope(body)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("readEnvelope(%q) error %v, json.Unmarshal %v", body, err, wantErr)
	}
	if err != nil {
		if err.Error() != wantErr.Error() {
			t.Fatalf("readEnvelope(%q) error %q, json.Unmarshal %q", body, err, wantErr)
		}
		return
	}
	for _, f := range []struct {
		name      string
		got, want json.RawMessage
	}{{"id", got.ID, want.ID}, {"type", got.Type, want.Type}, {"timestamp", got.Timestamp, want.Timestamp},
		{"senderId", got.SenderID, want.SenderID}, {"projectId", got.ProjectID, want.ProjectID}, {"data", got.Data, want.Data}} {
		if !bytes.Equal(f.got, f.want) || (f.got == nil) != (f.want == nil) {
			t.Fatalf("readEnvelope(%q).%s = %q, json.Unmarshal %q", body, f.name, f.got, f.want)
		}
	}
	for _, raw := range []json.RawMessage{got.ID, got.Type, got.SenderID} {
		if raw == nil {
			continue
		}
		var s, ws string
		err, werr := stringValue(raw, &s), json.Unmarshal(raw, &ws)
		if (err != nil) != (werr != nil) || s != ws {
			t.Fatalf("stringValue(%q) = %q, %v; json.Unmarshal %q, %v", raw, s, err, ws, werr)
		}
	}
}

// DecodeEnvelope reads what Decode reads of the envelope, refuses what it
// refuses, and leaves the payload, even a broken one, for later.
func TestDecodeEnvelopeIsDecodeWithoutThePayload(t *testing.T) {
	bodies := [][]byte{
		[]byte(`{"id":"e1","type":"message.inbound","timestamp":"1705312200","senderId":"snd_1","data":{"messageId":7}}`),
		[]byte(`{"id":"e2","type":"message.read","timestamp":{},"data":{}}`),
		[]byte(`{"id":"","type":"message.read"}`),
		[]byte(`not json`),
	}
	for _, ev := range NewSimulator(3, "snd_test", "+13125559876", time.Now).Stream(200) {
		bodies = append(bodies, ev.Body)
	}
	for _, body := range bodies {
		full, ferr := Decode(body)
		env, eerr := DecodeEnvelope(body)
		if (ferr != nil) != (eerr != nil) {
			t.Fatalf("%s: Decode %v, DecodeEnvelope %v", body, ferr, eerr)
		}
		if ferr != nil {
			continue
		}
		// A broken envelope field fails the event as Decode does; else
		// the payload, even a broken one, is left for later.
		if env.DecodeErr != nil {
			if env.PayloadLater || full.DecodeErr == nil || env.DecodeErr.Error() != full.DecodeErr.Error() {
				t.Errorf("%s: DecodeErr %v from DecodeEnvelope, %v from Decode", body, env.DecodeErr, full.DecodeErr)
			}
		} else if !env.PayloadLater || full.PayloadLater {
			t.Errorf("%s: PayloadLater %v from DecodeEnvelope, %v from Decode", body, env.PayloadLater, full.PayloadLater)
		}
		if env.ID != full.ID || env.Type != full.Type || !env.Timestamp.Equal(full.Timestamp) || env.SenderID != full.SenderID ||
			env.ProjectID != full.ProjectID || !bytes.Equal(env.Raw, body) {
			t.Errorf("%s: envelope %+v, Decode %+v", body, env, full)
		}
		if env.Inbound != nil || env.Status != nil || env.NewConversation != nil || env.Reaction != nil || env.Echo != nil {
			t.Errorf("%s: DecodeEnvelope decoded a payload", body)
		}
	}
}
