package inbox

import "strings"

// codeOptedOut is the carrier's answer to a message for someone who texted
// STOP.
const codeOptedOut = "21610"

// OptedOutByCarrier reports whether a delivery error means the customer
// opted out.
func OptedOutByCarrier(code string) bool { return strings.TrimSpace(code) == codeOptedOut }

// ExplainFailure turns a delivery error from Zavu into a sentence an agent
// can act on. Unknown codes fall back to Zavu's own message.
func ExplainFailure(code, message string) string {
	switch strings.TrimSpace(code) {
	case "30003":
		return "The phone could not be reached: it may be switched off or out of coverage."
	case "30005":
		return "This number does not exist or is no longer in service."
	case "30006":
		return "This is a landline or a number that cannot receive text messages."
	case "30007":
		return "The carrier blocked this message, often as suspected spam."
	case codeOptedOut:
		return "The customer opted out by replying STOP. They must text START before you can message them again."
	case "131026":
		return "WhatsApp could not deliver this message: the number may not use WhatsApp, or its app is too old."
	case "131049":
		return "Meta held this message back to limit how many business messages the customer gets. Try again later."
	case "131053":
		return "WhatsApp could not process the attached file. Try another format or a smaller file."
	case "131047", "whatsapp_window_closed":
		return "More than 24 hours have passed since the customer last wrote. Only an approved template can be sent now."
	case "insufficient_balance", "402":
		return "The Zavu account has run out of credit. An admin must top it up; then retry."
	case "unauthorized", "invalid_api_key", "401":
		return "Zavu refused Switchboard's API key. An admin must check ZAVU_API_KEY; then retry."
	case "forbidden", "403":
		return "Zavu's plan does not allow this message, or the destination is not verified."
	}
	if m := strings.TrimSpace(message); m != "" {
		return m
	}
	if code != "" {
		return "Zavu could not deliver this message (error " + code + ")."
	}
	return "Zavu could not deliver this message."
}

// FailureDetail is what ExplainFailure leaves out of a failure, for the
// agent to quote to Zavu's or the carrier's support: the code, and Zavu's
// own words when the explanation is not them ("Zavu error 30003:
// Unreachable destination handset"). Empty when the explanation already
// says everything there is.
func FailureDetail(code, message string) string {
	explained := ExplainFailure(code, message)
	code, message = strings.TrimSpace(code), strings.TrimSpace(message)
	if message == explained {
		message = ""
	}
	if strings.Contains(explained, code) {
		code = ""
	}
	switch {
	case code != "" && message != "":
		return "Zavu error " + code + ": " + message
	case code != "":
		return "Zavu error " + code
	case message != "":
		return "Zavu: " + message
	}
	return ""
}
