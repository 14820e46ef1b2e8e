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
